import type { AuthProvider } from 'react-admin'
import type { Call } from './client.js'
import { ApiError, quietAuthError } from './errors.js'

/** The caller as `GET /api/me` answers. */
export interface Me {
  id: number
  name: string
  is_admin: boolean
}

/** Where the auth provider keeps the token (sessionStorage or localStorage in the browser). */
export interface TokenStore {
  get(): string | null
  set(token: string, remember: boolean): void
  clear(): void
}

/**
 * Logs in with a bearer token: the token is kept only if `GET /api/me` accepts it. The caller's
 * admin flag is its permission (`'admin'` or `'user'`).
 */
export function createAuthProvider(call: Call, tokens: TokenStore): AuthProvider {
  let me: Me | null = null
  const fetchMe = async (): Promise<Me> => {
    me = await call<Me>('GET', '/api/me')
    return me
  }
  return {
    async login(params: { token?: string; remember?: boolean }) {
      const token = (params.token ?? '').trim()
      if (token === '') throw new ApiError(400, 'Enter a token')
      tokens.set(token, params.remember === true)
      try {
        await fetchMe()
      } catch (error) {
        tokens.clear()
        me = null
        if (error instanceof ApiError && error.status === 401) {
          throw new ApiError(401, 'The server does not accept this token')
        }
        throw error
      }
    },
    async logout() {
      tokens.clear()
      me = null
    },
    async checkAuth() {
      if (!tokens.get()) throw quietAuthError()
      if (!me) await fetchMe()
    },
    async checkError(error: { status?: number }) {
      if (error?.status === 401) {
        tokens.clear()
        me = null
        throw new ApiError(401, 'The token is no longer accepted')
      }
    },
    async getIdentity() {
      if (!tokens.get()) throw quietAuthError()
      const who = me ?? (await fetchMe())
      return { id: who.id, fullName: `${who.name}${who.is_admin ? ' (admin)' : ''}` }
    },
    async getPermissions() {
      if (!tokens.get()) return 'anonymous'
      const who = me ?? (await fetchMe())
      return who.is_admin ? 'admin' : 'user'
    },
  }
}
