/** The codes of the SDK's errors. */
export const SDK_ERROR_CODES = ['INVALID_COMPONENT', 'INVALID_VARIABLE'] as const
export type SdkErrorCode = (typeof SDK_ERROR_CODES)[number]

/** Base class of the SDK's errors; match on `code`, never on the class, across the sandbox. */
export class SdkError extends Error {
  override readonly name: string = 'SdkError'
  readonly code: SdkErrorCode

  constructor(code: SdkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** A component definition that cannot run: a bad code, schema, schedule setting or function. */
export class InvalidComponentError extends SdkError {
  override readonly name = 'InvalidComponentError'
  readonly component: string

  constructor(component: string, problem: string) {
    super('INVALID_COMPONENT', `component ${component}: ${problem}`)
    this.component = component
  }
}

/** A lazy variable definition without a code or a getValue function. */
export class InvalidVariableError extends SdkError {
  override readonly name = 'InvalidVariableError'
  readonly variable: string

  constructor(variable: string, problem: string) {
    super('INVALID_VARIABLE', `lazy variable ${variable}: ${problem}`)
    this.variable = variable
  }
}
