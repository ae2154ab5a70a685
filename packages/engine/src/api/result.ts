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
    return { result: false, message: exc.message, exc, data: null }
  }
}
