import type { MiddlewareHandler } from 'hono'
import type { User, UserStore } from '../auth/users.js'
import { ServerError } from '../errors.js'
import type { AppEnv } from '../http.js'
import { envelopeError } from './envelope.js'

/** The header that names the caller of the offline API. */
export const USER_HEADER = 'X-FlowEngine-UserId'

/**
 * How `X-FlowEngine-UserId` is trusted: `token` (the default) also requires
 * `Authorization: Bearer <token>` of that user (or of an admin acting for them); `trusted` takes
 * the header as is, for a server behind a proxy that authenticates callers and sets it.
 */
export const USER_MODES = ['token', 'trusted'] as const
/** One of `USER_MODES`. */
export type UserMode = (typeof USER_MODES)[number]

async function named(users: UserStore, value: string): Promise<User | undefined> {
  return /^\d{1,15}$/.test(value) ? users.get(Number(value)) : users.getByName(value)
}

/**
 * Maps `X-FlowEngine-UserId` (a Culm user id, or a user name) to a Culm user; without it, or for
 * an unknown user, the call is a 401 in the envelope.
 */
export function requireFlowEngineUser(users: UserStore, mode: UserMode): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const value = c.req.header(USER_HEADER)?.trim() ?? ''
    if (value === '') {
      return envelopeError(c, new ServerError('UNAUTHENTICATED', `missing ${USER_HEADER} header`))
    }
    const user = value.length <= 128 ? await named(users, value) : undefined
    if (!user) {
      return envelopeError(
        c,
        new ServerError(
          'UNAUTHENTICATED',
          `${USER_HEADER} ${value.slice(0, 128)} is not a known user`,
        ),
      )
    }
    if (mode === 'token') {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')
      if (!match) {
        return envelopeError(
          c,
          new ServerError(
            'UNAUTHENTICATED',
            `missing Authorization: Bearer <token> header beside ${USER_HEADER}`,
          ),
        )
      }
      const holder = await users.authenticate(match[1]!)
      if (!holder) return envelopeError(c, new ServerError('UNAUTHENTICATED', 'unknown API token'))
      if (holder.id !== user.id && !holder.isAdmin) {
        return envelopeError(
          c,
          new ServerError(
            'FORBIDDEN',
            `the token of ${holder.name} may not act as ${USER_HEADER} ${value}`,
          ),
        )
      }
    }
    c.set('user', user)
    return next()
  }
}
