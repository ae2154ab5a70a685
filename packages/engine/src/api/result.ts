import { EngineError } from '../errors.js'

/** What every Engine API function answers, as the Python engine's `EngineAPIResult`. */
export interface EngineAPIResult<T = unknown> {
  result: boolean
  message: string
  exc?: Error
  data: T | null
}

/** Success with data. */
export function ok<T>(data: T): EngineAPIResult<T> {
  return { result: true, message: 'success', data }
}

/** A refusal: `message` says why; nothing was changed. */
export function refuse(message: string, exc?: Error): EngineAPIResult<never> {
  return {
    result: false,
    message,
    exc: exc ?? new EngineError('INVALID_OPERATION', message),
    data: null,
  }
}

/** Runs an API function; an error thrown inside becomes a `result: false` answer. */
export async function guard<T>(fn: () => Promise<EngineAPIResult<T>>): Promise<EngineAPIResult<T>> {
  try {
    return await fn()
  } catch (error) {
    const exc = error instanceof Error ? error : new EngineError('INVALID_OPERATION', String(error))
    // Input nested deeper than the stack allows (a value thousands of levels deep) is refused
    // with a message that says so, rather than the engine's own stack overflow.
    const message =
      exc instanceof RangeError && /call stack/i.test(exc.message)
        ? 'the input is nested too deeply to be processed'
        : exc.message
    return { result: false, message, exc, data: null }
  }
}
