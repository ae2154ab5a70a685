import { bareKey } from '../keys.js'

/** Sets an own property, even one named `__proto__`, without touching any prototype. */
export function defineValue(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  } else {
    target[key] = value
  }
}

/** The context with every key unwrapped; the same object when no key is wrapped. */
export function bareContext(context: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(context)
  if (!keys.some((key) => key.startsWith('${'))) return context
  const bare: Record<string, unknown> = {}
  for (const key of keys) defineValue(bare, bareKey(key), context[key])
  return bare
}

/** True for `{}`-like objects: the ones rendering and comparison walk into. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Marks the end of an exhaustive `switch`. */
export function assertNever(value: never): never {
  throw new TypeError(`unexpected value ${String(value)}`)
}
