const KEY = 'culm.token'

/** Where the bearer token lives: the tab's session, or this browser when asked to remember it. */
export const tokenStore = {
  get(): string | null {
    return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY)
  },
  set(token: string, remember: boolean): void {
    sessionStorage.setItem(KEY, token)
    if (remember) localStorage.setItem(KEY, token)
    else localStorage.removeItem(KEY)
  },
  clear(): void {
    sessionStorage.removeItem(KEY)
    localStorage.removeItem(KEY)
  },
}
