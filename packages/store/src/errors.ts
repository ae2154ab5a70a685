/** The codes of the store's errors. */
export const STORE_ERROR_CODES = [
  /** `CULM_DATABASE_URL` (or the URL given) is not one the store understands. */
  'INVALID_URL',
  /** The database could not be reached, opened or logged into. */
  'CONNECTION_FAILED',
  /** A migration did not apply. */
  'MIGRATION_FAILED',
  /** A transaction kept hitting deadlocks or lock waits and was given up. */
  'CONFLICT',
] as const
/** One of `STORE_ERROR_CODES`. */
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number]

/** The store's one error class; `code` says what went wrong, `cause` holds the driver's error. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  readonly code: StoreErrorCode
  /** The database URL concerned, with any password masked. */
  readonly url: string | undefined

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { cause?: unknown; url?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.url = options.url
  }
}
