/** Every code an `ExprError` can carry. */
export const EXPR_ERROR_CODES = [
  'CONDITION_SYNTAX',
  'CONDITION_EVAL',
  'FORBIDDEN_ACCESS',
  'REFERENCE_CYCLE',
  'REFERENCE_MISSING',
  'LAZY_UNSUPPORTED',
] as const

/** The closed list of `ExprError` codes. */
export type ExprErrorCode = (typeof EXPR_ERROR_CODES)[number]

/** Structured details of an `ExprError`. */
export interface ExprErrorDetails {
  /** The expression, condition or fragment concerned. */
  expression?: string
  /** The constant keys concerned (a cycle, or the missing references). */
  keys?: string[]
  cause?: unknown
}

/** The one error type of @culm/expr; match on `code`. */
export class ExprError extends Error {
  override readonly name = 'ExprError'
  readonly code: ExprErrorCode
  readonly expression?: string
  readonly keys?: string[]

  constructor(code: ExprErrorCode, message: string, details: ExprErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    if (details.expression !== undefined) this.expression = details.expression
    if (details.keys !== undefined) this.keys = details.keys
  }
}

/** True when `error` is an `ExprError`, optionally with the given code. */
export function isExprError(error: unknown, code?: ExprErrorCode): error is ExprError {
  return error instanceof ExprError && (code === undefined || error.code === code)
}
