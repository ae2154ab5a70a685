/** The codes of the server's errors; `HTTP_STATUS` maps each to its HTTP status. */
export const SERVER_ERROR_CODES = [
  /** A malformed body, a missing or mistyped field, a tree the validator refuses. */
  'VALIDATION',
  /** No token, or a token that is not known. */
  'UNAUTHENTICATED',
  /** A known caller without the right to call this route. */
  'FORBIDDEN',
  /** An unknown route, function, action, engine type or id. */
  'NOT_FOUND',
  /** A route called with a method it does not answer. */
  'METHOD_NOT_ALLOWED',
  /** An action the current state refuses, or a state that changed meanwhile. */
  'CONFLICT',
  /** A body larger than the server accepts. */
  'PAYLOAD_TOO_LARGE',
  /** A body that is not JSON. */
  'UNSUPPORTED_MEDIA_TYPE',
  /** Too many failed attempts from this caller or for this account: try again later. */
  'TOO_MANY_REQUESTS',
  /** The database cannot be reached or kept refusing a transaction. */
  'UNAVAILABLE',
  /** The server is misconfigured (an admin permission function that cannot be loaded). */
  'CONFIGURATION',
  /** Anything else: a bug. */
  'INTERNAL',
] as const
/** One of `SERVER_ERROR_CODES`. */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number]

/** The one table from error code to HTTP status. */
export const HTTP_STATUS = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
  CONFIGURATION: 500,
  INTERNAL: 500,
} as const satisfies Record<ServerErrorCode, number>

/** One problem of a request, named by the field it concerns. */
export interface Issue {
  field: string
  message: string
}

/** The server's one error class; `code` decides the HTTP status through `HTTP_STATUS`. */
export class ServerError extends Error {
  override readonly name = 'ServerError'
  readonly code: ServerErrorCode
  readonly issues: Issue[] | undefined

  constructor(
    code: ServerErrorCode,
    message: string,
    options: { cause?: unknown; issues?: Issue[]; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.issues = options.issues
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  /** For `TOO_MANY_REQUESTS`: when to try again, sent as `Retry-After`. */
  readonly retryAfterSeconds: number | undefined

  get status(): number {
    return HTTP_STATUS[this.code]
  }
}

/**
 * The server code for an error thrown or answered by the engine or the store, matched on `code`
 * (never `instanceof`, so that errors from other realms map too).
 */
export function codeOf(error: unknown): ServerErrorCode {
  if (error instanceof ServerError) return error.code
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : ''
  switch (code) {
    case 'TREE_INVALID':
    case 'COMPONENT_NOT_FOUND':
    case 'INVALID_URL':
      return 'VALIDATION'
    case 'NOT_FOUND':
      return 'NOT_FOUND'
    case 'INVALID_OPERATION':
    case 'STATE_TRANSITION':
    case 'VERSION_MISMATCH':
      return 'CONFLICT'
    case 'INTERRUPTED':
    case 'CONNECTION_FAILED':
      return 'UNAVAILABLE'
    default:
      // A StoreError CONFLICT is a transaction given up after deadlocks: retryable, not a bug.
      return (error as { name?: unknown })?.name === 'StoreError' && code === 'CONFLICT'
        ? 'UNAVAILABLE'
        : 'INTERNAL'
  }
}

/** Ends a `switch` that covers every case of a union; reaching it is a bug. */
export function assertNever(value: never): never {
  throw new ServerError('INTERNAL', `unexpected value ${String(value)}`)
}
