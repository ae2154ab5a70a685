import type { MiddlewareHandler } from 'hono'
import { ServerError } from './errors.js'
import { type AppEnv, sendError } from './http.js'

/** How deeply a JSON body may nest; deeper values would overflow the stack of recursive code. */
export const MAX_JSON_DEPTH = 200

/** The path of the first value nested deeper than `max` levels, or null (walked without recursion). */
export function tooDeep(value: unknown, max: number = MAX_JSON_DEPTH): string | null {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [
    { value, depth: 0, path: '' },
  ]
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!
    if (typeof current !== 'object' || current === null) continue
    if (depth >= max) return path || 'body'
    for (const [key, item] of Object.entries(current)) {
      stack.push({ value: item, depth: depth + 1, path: path ? `${path}.${key}` : key })
    }
  }
  return null
}

/** The 400 of a body nested deeper than `MAX_JSON_DEPTH`, naming where. */
export function tooDeepError(path: string): ServerError {
  const message = `nested deeper than ${MAX_JSON_DEPTH} levels`
  return new ServerError('VALIDATION', `invalid ${path}: ${message}`, {
    issues: [{ field: path, message }],
  })
}

/**
 * Reads a JSON body once before the routes: an empty body counts as `{}` (so that actions without
 * parameters need none), and a body nested deeper than `MAX_JSON_DEPTH` is refused (400). Hono
 * caches the text for the route's validator, which answers a body that is not JSON.
 */
export function limitJsonDepth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header('content-type') ?? ''
    if (c.req.method === 'GET' || !/^application\/(?:[\w.+-]*\+)?json\b/i.test(type)) return next()
    const text = await c.req.text()
    if (text.trim() === '') {
      // Hono keeps the body's promise per reader in bodyCache; the validator reads this one.
      ;(c.req.bodyCache as Record<string, unknown>).text = Promise.resolve('{}')
      return next()
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return next()
    }
    const path = tooDeep(body)
    if (path !== null) return sendError(c, tooDeepError(path))
    return next()
  }
}
