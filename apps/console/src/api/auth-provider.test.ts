import { describe, expect, it } from 'vitest'
import { createAuthProvider, type TokenStore } from './auth-provider.js'
import type { Call } from './client.js'
import { ApiError } from './errors.js'

function memoryStore(): TokenStore & { remembered: boolean } {
  let token: string | null = null
  const store = {
    remembered: false,
    get: () => token,
    set(next: string, remember: boolean) {
      token = next
      store.remembered = remember
    },
    clear() {
      token = null
    },
  }
  return store
}

/** A server that knows one token, of an admin or not. */
function server(known: string, isAdmin: boolean, store: TokenStore): Call {
  return (async (_method: string, path: string) => {
    if (path !== '/api/me') throw new ApiError(404, 'not found')
    if (store.get() !== known) throw new ApiError(401, 'unknown API token')
    return { id: 7, name: 'ops', is_admin: isAdmin }
  }) as Call
}

describe('auth provider', () => {
  it('keeps a token the server accepts and names the caller an admin', async () => {
    const store = memoryStore()
    const auth = createAuthProvider(server('good', true, store), store)
    await auth.login({ token: ' good ', remember: true })
    expect(store.get()).toBe('good')
    expect(store.remembered).toBe(true)
    await expect(auth.checkAuth({})).resolves.toBeUndefined()
    expect(await auth.getPermissions!({})).toBe('admin')
    expect(await auth.getIdentity!()).toEqual({ id: 7, fullName: 'ops (admin)' })
  })

  it('forgets a token the server refuses and says so', async () => {
    const store = memoryStore()
    const auth = createAuthProvider(server('good', false, store), store)
    await expect(auth.login({ token: 'bad' })).rejects.toMatchObject({
      status: 401,
      message: 'The server does not accept this token',
    })
    expect(store.get()).toBeNull()
  })

  it('answers a non-admin as a user', async () => {
    const store = memoryStore()
    const auth = createAuthProvider(server('good', false, store), store)
    await auth.login({ token: 'good' })
    expect(await auth.getPermissions!({})).toBe('user')
  })

  it('refuses quietly before any login, so the login page shows no error', async () => {
    const store = memoryStore()
    const auth = createAuthProvider(server('good', false, store), store)
    await expect(auth.checkAuth({})).rejects.toEqual({ message: false, status: 401 })
    expect(await auth.getPermissions!({})).toBe('anonymous')
  })

  it('logs out on a 401 from the API and keeps the token on a 403', async () => {
    const store = memoryStore()
    const auth = createAuthProvider(server('good', false, store), store)
    await auth.login({ token: 'good' })
    await expect(auth.checkError({ status: 403 })).resolves.toBeUndefined()
    expect(store.get()).toBe('good')
    await expect(auth.checkError({ status: 401 })).rejects.toMatchObject({ status: 401 })
    expect(store.get()).toBeNull()
  })
})
