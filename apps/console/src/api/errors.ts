/** Why a call to the server failed: its HTTP status, the server's message and its error body. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly status: number
  readonly code: string
  readonly body: unknown

  constructor(status: number, message: string, options: { code?: string; body?: unknown } = {}) {
    super(message)
    this.status = status
    this.code = options.code ?? 'HTTP'
    this.body = options.body
  }
}

/** The message an operator sees for any failure. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/** A refusal react-admin shows no notification for (`message: false`): the login page says it. */
export function quietAuthError(): { message: false; status: 401 } {
  return { message: false, status: 401 }
}
