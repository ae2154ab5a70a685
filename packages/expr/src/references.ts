import { compileFragment } from './internal/fragments.js'
import { isPlainObject } from './internal/objects.js'
import { templateFragments } from './template.js'

/**
 * The context names read by the `${...}` fragments of every string inside `value`, in
 * order of first appearance. Fragments that do not parse are skipped.
 * @example
 * references({ cmd: 'echo ${a.b + c}', hosts: ['${ips|split(",")}'] }) // ['a', 'c', 'ips']
 */
export function references(value: unknown): string[] {
  const found = new Set<string>()
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const item = pending.pop()
    if (typeof item === 'string') {
      for (const fragment of templateFragments(item)) {
        const compilation = compileFragment(fragment.expression)
        if (compilation.ok) for (const root of compilation.compiled.roots) found.add(root)
      }
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push(item[i])
    } else if (isPlainObject(item)) {
      pending.push(...Object.values(item).reverse())
    }
  }
  return [...found]
}
