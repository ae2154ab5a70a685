const WRAPPED_KEY = /^\$\{([^${}#]+)\}$/

/** Wraps a context key as `${key}`; a key already wrapped is returned as is. */
export function formatKey(name: string): string {
  return WRAPPED_KEY.test(name) ? name : `\${${name}}`
}

/** Unwraps `${key}` to `key`; a bare key is returned as is. */
export function bareKey(key: string): string {
  const match = WRAPPED_KEY.exec(key)
  return match ? (match[1] as string).trim() : key
}
