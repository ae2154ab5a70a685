import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { User } from './auth/users.js'
import { codeOf, HTTP_STATUS, type Issue, ServerError, type ServerErrorCode } from './errors.js'

/** What the handlers of the server find in Hono's context. */
export interface AppEnv {
  Variables: { user: User; requestId: string }
}

/** The JSON body of every error answer: the `EngineAPIResult` fields plus a code and the issues. */
export const errorSchema = z
  .object({
    result: z.literal(false),
    message: z.string(),
    code: z.string(),
    data: z.null(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error')

/** The JSON answer for an error, and its status. */
export function errorAnswer(error: unknown): { status: number; body: z.infer<typeof errorSchema> } {
  let code: ServerErrorCode
  let message: string
  let issues: Issue[] | undefined
  if (error instanceof ServerError) {
    code = error.code
    message = error.message
    issues = error.issues
  } else if (error instanceof HTTPException) {
    code = codeForStatus(error.status)
    message = error.message || `HTTP ${error.status}`
    if (code === 'VALIDATION') issues = [{ field: 'body', message }]
  } else {
    code = codeOf(error)
    message =
      code === 'INTERNAL'
        ? 'internal error'
        : error instanceof Error
          ? error.message
          : String(error)
  }
  return {
    status: HTTP_STATUS[code],
    body: { result: false, message, code, data: null, ...(issues ? { issues } : {}) },
  }
}

function codeForStatus(status: number): ServerErrorCode {
  switch (status) {
    case 400:
      return 'VALIDATION'
    case 401:
      return 'UNAUTHENTICATED'
    case 403:
      return 'FORBIDDEN'
    case 404:
      return 'NOT_FOUND'
    case 405:
      return 'METHOD_NOT_ALLOWED'
    case 413:
      return 'PAYLOAD_TOO_LARGE'
    case 415:
      return 'UNSUPPORTED_MEDIA_TYPE'
    case 429:
      return 'TOO_MANY_REQUESTS'
    default:
      return status >= 500 ? 'INTERNAL' : 'VALIDATION'
  }
}

/** Sends an error answer. */
export function sendError(c: Context, error: unknown): Response {
  const { status, body } = errorAnswer(error)
  if (error instanceof ServerError && error.retryAfterSeconds !== undefined) {
    c.header('Retry-After', String(error.retryAfterSeconds))
  }
  return c.json(body, status as 400)
}

interface ZodIssueLike {
  path: PropertyKey[]
  message: string
  code?: string
  keys?: string[]
}

/** The issues of a zod failure, each named by its field (`flow_ids.0`, `pipeline_id`). */
export function zodIssues(issues: readonly ZodIssueLike[], target?: string): Issue[] {
  return issues.map((issue) => {
    let field = issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      field = [field, issue.keys.join(',')].filter((p) => p !== '').join('.')
    }
    if (field === '') field = target === 'json' || target === undefined ? 'body' : target
    return { field, message: issue.message }
  })
}

/** The `defaultHook` of every OpenAPI route: a failed validation is a 400 naming each field. */
export function validationHook(
  result: { success: boolean; target?: string; error?: { issues: readonly ZodIssueLike[] } },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return undefined
  const issues = zodIssues(result.error.issues, result.target)
  const where = result.target === 'json' || result.target === undefined ? '' : `${result.target} `
  return sendError(
    c,
    new ServerError(
      'VALIDATION',
      `invalid ${where}${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      { issues },
    ),
  )
}

/** The `security` entry of a route that needs a token. */
export const BEARER = [{ bearer: [] as string[] }]

/**
 * An integer of a path or query, written in decimal digits only: `0x1`, ` 1`, `1e0` or `+1` are
 * refused, not read as 1.
 */
export function decimalInteger(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,16}$/, 'must be written in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
}
