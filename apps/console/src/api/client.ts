import { ApiError } from './errors.js'

/** What the console needs to call the server: a fetch, where the server is and the token. */
export interface ClientOptions {
  fetch?: typeof fetch
  /** The server's origin; '' calls the page's own origin. */
  baseUrl?: string
  token: () => string | null
}

/** A JSON call to the server with the bearer token. */
export type Call = <T = unknown>(
  method: string,
  path: string,
  options?: { query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal },
) => Promise<T>

/** Encodes a query string, leaving out empty values; arrays repeat their key. */
function queryString(query: Record<string, unknown> = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item))
    else params.append(key, String(value))
  }
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/** The error of a failed answer: the server's `message` when its body has one. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '')
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // A body that is not JSON is shown as it is.
  }
  const fields = (typeof body === 'object' && body !== null ? body : {}) as {
    message?: unknown
    code?: unknown
  }
  const message =
    typeof fields.message === 'string' && fields.message !== ''
      ? fields.message
      : text || `HTTP ${response.status} ${response.statusText}`.trim()
  return new ApiError(response.status, message, {
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    body,
  })
}

/** Makes the JSON caller every provider shares. */
export function createClient(options: ClientOptions): Call {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const base = options.baseUrl ?? ''
  return async <T>(
    method: string,
    path: string,
    opts: { query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' }
    const token = options.token()
    if (token) headers.authorization = `Bearer ${token}`
    let body: string | undefined
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(opts.body)
    }
    const response = await doFetch(`${base}${path}${queryString(opts.query)}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    if (!response.ok) throw await errorOf(response)
    if (response.status === 204) return undefined as T
    const text = await response.text()
    return (text === '' ? undefined : JSON.parse(text)) as T
  }
}
