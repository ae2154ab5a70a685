import type { MiddlewareHandler } from 'hono'
import { ServerError } from '../errors.js'
import { type AppEnv, sendError } from '../http.js'
import type { UserStore } from './users.js'

/** Paths an anonymous caller may reach. */
export const PUBLIC_PATHS = new Set(['/healthz', '/openapi.json', '/docs'])

/** Requires `Authorization: Bearer <token>` of a known user on every path but the public ones. */
export function requireToken(users: UserStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (PUBLIC_PATHS.has(c.req.path.replace(/\/+$/, '') || '/')) return next()
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer')
      return sendError(
        c,
        new ServerError('UNAUTHENTICATED', 'missing Authorization: Bearer <token> header'),
      )
    }
    const user = await users.authenticate(match[1]!)
    if (!user) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"')
      return sendError(c, new ServerError('UNAUTHENTICATED', 'unknown API token'))
    }
    c.set('user', user)
    return next()
  }
}
