/** Every code an `ExprError` can carry. */
export const EXPR_ERROR_CODES = [
  'CONDITION_SYNTAX',
  'CONDITION_EVAL',
  'FORBIDDEN_ACCESS',
  'REFERENCE_CYCLE',
  'REFERENCE_MISSING',
  'LAZY_UNSUPPORTED',
  /** An expression, or a value it makes, over `EXPR_LIMITS`. */
  'LIMIT_EXCEEDED',
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

  /**
   * Names the code too: jexl turns an error thrown by a transform that another transform follows
   * into a plain `Error` of this text (once per transform after it, each adding `Error: `), and
   * `asExprError` reads the code back from it.
   */
  override toString(): string {
    return `ExprError[${this.code}]: ${this.message}`
  }
}

const STRINGIFIED = /^(?:Error: )*ExprError\[([A-Z_]+)\]: ([\s\S]*)$/

/** The `ExprError` a plain error stands for when jexl made it from one's text, if it did. */
export function fromStringified(error: Error): ExprError | undefined {
  const match = STRINGIFIED.exec(error.message)
  const code = match?.[1] as ExprErrorCode | undefined
  if (!match || !code || !(EXPR_ERROR_CODES as readonly string[]).includes(code)) return undefined
  return new ExprError(code, match[2] as string, { cause: error })
}

/** True when `error` is an `ExprError`, optionally with the given code. */
export function isExprError(error: unknown, code?: ExprErrorCode): error is ExprError {
  return error instanceof ExprError && (code === undefined || error.code === code)
}
