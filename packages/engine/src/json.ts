/**
 * A deep copy of a JSON-like value: plain objects and arrays are copied field by field (much
 * cheaper than structuredClone for the small records of the engine), anything else falls back to
 * structuredClone.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(cloneJson) as T
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return structuredClone(value)
  const out: Record<string, unknown> = {}
  for (const key in value as Record<string, unknown>) {
    out[key] = cloneJson((value as Record<string, unknown>)[key])
  }
  return out as T
}
