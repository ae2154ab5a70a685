import type { Issue } from '../errors.js'
import { ServerError } from '../errors.js'

/** A JSON object as the offline API reads it. */
export type Json = Record<string, unknown>

/** Whether a value is a JSON object (not null, not a list). */
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** A `VALIDATION` error whose message lists every issue. */
export function invalid(message: string, issues: Issue[]): ServerError {
  return new ServerError(
    'VALIDATION',
    `${message}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    { issues },
  )
}
