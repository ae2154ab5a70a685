import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context, MiddlewareHandler } from 'hono'
import type { User, UserStore } from '../auth/users.js'
import { ServerError } from '../errors.js'
import { type AppEnv, sendError } from '../http.js'
import type { App, AppStore } from './apps.js'
import { CredentialThrottle } from './throttle.js'

/** The credential fields of a task API call. */
export const CREDENTIAL_FIELDS = [
  'bk_app_code',
  'bk_app_secret',
  'bk_token',
  'bk_username',
] as const
type CredentialField = (typeof CREDENTIAL_FIELDS)[number]

/** What the task API's handlers find in Hono's context: the user and the app that called. */
export interface ApigwEnv {
  Variables: AppEnv['Variables'] & { app: App }
}

/** The header that carries the credentials as a JSON object. */
export const AUTHORIZATION_HEADER = 'X-Bkapi-Authorization'

type Found = Partial<Record<CredentialField, string>>

function pick(source: Record<string, unknown>, into: Found): void {
  for (const field of CREDENTIAL_FIELDS) {
    const value = source[field]
    if (into[field] === undefined && typeof value === 'string' && value !== '') into[field] = value
  }
}

/** The credentials of a call: the header first, then the query string, then a JSON body. */
async function readCredentials(c: Context): Promise<Found> {
  const found: Found = {}
  const header = c.req.header(AUTHORIZATION_HEADER)
  if (header !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(header)
    } catch {
      throw new ServerError('UNAUTHENTICATED', `${AUTHORIZATION_HEADER} is not a JSON object`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ServerError('UNAUTHENTICATED', `${AUTHORIZATION_HEADER} is not a JSON object`)
    }
    pick(parsed as Record<string, unknown>, found)
  }
  pick(c.req.query(), found)
  const type = c.req.header('content-type') ?? ''
  if (c.req.method !== 'GET' && type.includes('json')) {
    // Hono keeps the parsed body, so the route's validator reads it again at no cost.
    const body = await c.req.json().catch(() => undefined)
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      pick(body as Record<string, unknown>, found)
    }
  }
  return found
}

/** Finds the app and the user of a call; throws `UNAUTHENTICATED` or `FORBIDDEN`. */
export async function authenticateCaller(
  found: Found,
  apps: AppStore,
  users: UserStore,
): Promise<{ app: App; user: User }> {
  if (found.bk_app_code === undefined || found.bk_app_secret === undefined) {
    throw new ServerError(
      'UNAUTHENTICATED',
      'app credentials are missing: give bk_app_code and bk_app_secret',
    )
  }
  const app = await apps.authenticate(found.bk_app_code, found.bk_app_secret)
  if (!app) throw new ServerError('UNAUTHENTICATED', 'bk_app_code or bk_app_secret is wrong')
  if (found.bk_token !== undefined) {
    const user = await users.authenticate(found.bk_token)
    if (!user) throw new ServerError('UNAUTHENTICATED', 'bk_token is not valid')
    return { app, user }
  }
  if (found.bk_username !== undefined) {
    if (!app.whitelisted) {
      throw new ServerError(
        'FORBIDDEN',
        `app ${app.code} is not on the whitelist: it may not name a user by bk_username; give bk_token`,
      )
    }
    const user = await users.getByName(found.bk_username)
    if (!user) throw new ServerError('UNAUTHENTICATED', `user ${found.bk_username} does not exist`)
    return { app, user }
  }
  throw new ServerError('UNAUTHENTICATED', 'user is missing: give bk_token or bk_username')
}

/** The address the call came from, as the socket tells it. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * Requires app credentials and a user on every task API call, answering 401/403 otherwise, and
 * 429 (with `Retry-After`) to an app code or an address that failed too often.
 */
export function requireAppCredentials(
  apps: AppStore,
  users: UserStore,
  throttle: CredentialThrottle = new CredentialThrottle(),
): MiddlewareHandler<ApigwEnv> {
  return async (c, next) => {
    const address = clientAddress(c)
    let code: string | undefined
    try {
      const found = await readCredentials(c)
      code = found.bk_app_code
      await throttle.check(code, address)
      const { app, user } = await authenticateCaller(found, apps, users)
      c.set('app', app)
      c.set('user', user)
    } catch (error) {
      if (error instanceof ServerError && error.code === 'UNAUTHENTICATED') {
        await throttle.failed(code, address)
      }
      return sendError(c, error)
    }
    return next()
  }
}
