import type { Constant } from '@culm/tree'
import type { Issue } from '../errors.js'

const DATETIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/

function kind(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'number' || typeof value === 'string') return 'scalar'
  return typeof value
}

/** Why `value` does not fit a constant, or undefined when it does. */
function misfit(constant: Constant, value: unknown): string | undefined {
  if (constant.source_type === 'component_outputs') {
    return 'is the output of a node and cannot be set'
  }
  switch (constant.custom_type) {
    case 'int':
      if (typeof value === 'number' && Number.isInteger(value)) return undefined
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return undefined
      return 'must be an integer (custom_type int)'
    case 'input':
    case 'textarea':
      return typeof value === 'string'
        ? undefined
        : `must be text (custom_type ${constant.custom_type})`
    case 'datetime':
      return typeof value === 'string' && DATETIME.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'must be a date and time as YYYY-MM-DD HH:MM:SS (custom_type datetime)'
    default: {
      // Other types (component inputs, plugin types) keep the kind of the tree's value.
      const expected = kind(constant.value)
      const actual = kind(value)
      if (expected === actual || constant.value === undefined || constant.value === null) {
        return value === undefined ? 'must have a value' : undefined
      }
      return expected === 'scalar'
        ? 'must be text or a number'
        : `must be ${expected === 'object' ? 'an object' : `a ${expected}`}`
    }
  }
}

/**
 * Sets the values of a tree's constants from `overrides` (keys as `${key}` or `key`), checking
 * each against its `custom_type`; answers the issues, and changes nothing when there are any.
 */
export function overrideConstants(
  constants: Record<string, Constant>,
  overrides: Record<string, unknown>,
): Issue[] {
  const issues: Issue[] = []
  const values = new Map<string, unknown>()
  for (const [given, value] of Object.entries(overrides)) {
    const key = given.startsWith('${') ? given : `\${${given}}`
    const constant = constants[key]
    if (!constant) {
      issues.push({ field: `constants.${given}`, message: `the tree has no constant ${key}` })
      continue
    }
    const problem = misfit(constant, value)
    if (problem) issues.push({ field: `constants.${given}`, message: `${key} ${problem}` })
    else values.set(key, value)
  }
  if (issues.length > 0) return issues
  for (const [key, value] of values) constants[key]!.value = value
  return issues
}
