import type { EngineAPIResult } from '@culm/engine'

/** An ISO 8601 time with its offset (`Z`, UTC), as every answer shows times. */
export function isoTime(value: Date | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const date = typeof value === 'number' ? new Date(value) : value
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** An error as answers show it: `Name: message`, the name not repeated if the message has it. */
export function errorText(error: Error): string {
  return error.message.startsWith(`${error.name}: `)
    ? error.message
    : `${error.name}: ${error.message}`
}

/** A copy of `value` that `JSON.stringify` writes as the API shows it: dates as ISO 8601 text. */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return isoTime(value)
  if (value instanceof Error) return errorText(value)
  if (Array.isArray(value)) return value.map(toJson)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = toJson(item)
    return out
  }
  return value
}

/** An `EngineAPIResult` as JSON: `exc` as a string, dates as ISO 8601 text. */
export interface EngineAPIResultJson {
  result: boolean
  message: string
  data: unknown
  exc: string | null
}

/** The JSON answer of an Engine API call. */
export function resultJson(result: EngineAPIResult): EngineAPIResultJson {
  return {
    result: result.result,
    message: result.message,
    data: toJson(result.data ?? null),
    exc: result.exc ? errorText(result.exc) : null,
  }
}
