import { bareKey, formatKey, references, render } from '@culm/expr'
import type { ContextValue, DataInput } from './ports/records.js'

/** Computes a lazy variable; answers its value. */
export type LazyCompute = (code: string, value: unknown) => Promise<unknown>

/**
 * Hydrates the context keys a set of values needs (and what those keys need, transitively):
 * plain values as they are, splice values rendered against the keys they reference, lazy values
 * rendered then computed. A key in a reference cycle, or missing, stays unresolved, so the
 * template that uses it is left as text, as in the Python engine.
 */
export async function hydrate(
  values: Record<string, ContextValue>,
  needed: Iterable<string>,
  lazy: LazyCompute | undefined,
): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = {}
  const visiting = new Set<string>()
  const done = new Set<string>()

  const resolve = async (key: string): Promise<void> => {
    if (done.has(key) || visiting.has(key)) return
    const entry = values[formatKey(key)] ?? values[key]
    if (!entry) {
      done.add(key)
      return
    }
    if (entry.type === 'plain') {
      resolved[key] = entry.value
      done.add(key)
      return
    }
    visiting.add(key)
    for (const ref of references(entry.value)) await resolve(ref)
    let value = render(entry.value, resolved)
    if (entry.type === 'lazy') {
      if (!lazy || !entry.customType) {
        throw new TypeError(
          `lazy variable ${formatKey(key)} has no computation for "${entry.customType ?? ''}"`,
        )
      }
      value = await lazy(entry.customType, value)
    }
    visiting.delete(key)
    resolved[key] = value
    done.add(key)
  }

  for (const key of needed) await resolve(bareKey(key))
  return resolved
}

/** Every context key referenced by some values. */
export function referencedKeys(values: Iterable<unknown>): Set<string> {
  const keys = new Set<string>()
  for (const value of values) for (const ref of references(value)) keys.add(ref)
  return keys
}

/** Renders a node's configured inputs against its pipeline's context. */
export async function renderInputs(
  inputs: Record<string, DataInput>,
  context: Record<string, ContextValue>,
  lazy: LazyCompute | undefined,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const toRender = Object.values(inputs)
    .filter((input) => input.needRender)
    .map((input) => input.value)
  const hydrated = { ...(await hydrate(context, referencedKeys(toRender), lazy)), ...extra }
  const rendered: Record<string, unknown> = {}
  for (const [key, input] of Object.entries(inputs)) {
    if (!input.needRender) {
      rendered[key] = input.value
      continue
    }
    let value = render(input.value, hydrated)
    if (input.customType) {
      if (!lazy) throw new TypeError(`input ${key} is lazy but no lazy variables are available`)
      value = await lazy(input.customType, value)
    }
    rendered[key] = value
  }
  return rendered
}
