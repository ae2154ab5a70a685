import { ExprError } from './errors.js'
import { renderValue } from './internal/fragments.js'
import { bareContext, defineValue, isPlainObject } from './internal/objects.js'
import { bareKey } from './keys.js'
import { references } from './references.js'

/** Computes a lazy variable's value from its rendered value (a plugin's LazyVariable). */
export type LazyResolver = (
  customType: string,
  value: unknown,
  context: Record<string, unknown>,
) => unknown

/** Options of `resolveConstants`. */
export interface ResolveConstantsOptions {
  /** Values already known (system variables, root pipeline data) that constants may use. */
  context?: Record<string, unknown>
  /** Computes `{ type: 'lazy' }` variables; without it they are an error. */
  lazy?: LazyResolver
}

type Declaration =
  | { kind: 'plain'; value: unknown }
  | { kind: 'splice'; value: unknown }
  | { kind: 'lazy'; value: unknown; customType: string }

const VARIABLE_TYPES = new Set(['plain', 'splice', 'lazy'])

// A node output (`source_act`) has no value before its node runs, unless initialized.
function declarationOf(value: unknown): Declaration | undefined {
  if (!isPlainObject(value)) return { kind: 'splice', value }
  if (Object.hasOwn(value, 'source_act')) {
    return value.need_initialization === true ? { kind: 'plain', value: value.value } : undefined
  }
  if (typeof value.type !== 'string' || !VARIABLE_TYPES.has(value.type)) {
    return { kind: 'splice', value }
  }
  if (!Object.hasOwn(value, 'value')) return { kind: 'splice', value }
  if (value.type === 'lazy') {
    const customType = typeof value.custom_type === 'string' ? value.custom_type : ''
    return { kind: 'lazy', value: value.value, customType }
  }
  return { kind: value.type === 'plain' ? 'plain' : 'splice', value: value.value }
}

function cycleError(path: readonly string[], back: string): ExprError {
  const keys = path.slice(path.indexOf(back))
  return new ExprError(
    'REFERENCE_CYCLE',
    `constants reference each other in a cycle: ${[...keys, back].join(' -> ')}`,
    { keys },
  )
}

// Depth-first with an explicit stack: 10,000 chained constants must not overflow.
function dependencyOrder(dependencies: ReadonlyMap<string, readonly string[]>): string[] {
  const done = new Set<string>()
  const order: string[] = []
  for (const start of dependencies.keys()) {
    if (done.has(start)) continue
    const path = [start]
    const next = [0]
    const active = new Set(path)
    while (path.length > 0) {
      const depth = path.length - 1
      const key = path[depth] as string
      const index = next[depth] as number
      const dependency = dependencies.get(key)?.[index]
      if (dependency === undefined) {
        path.pop()
        next.pop()
        active.delete(key)
        done.add(key)
        order.push(key)
        continue
      }
      next[depth] = index + 1
      if (done.has(dependency) || !dependencies.has(dependency)) continue
      if (active.has(dependency)) throw cycleError(path, dependency)
      path.push(dependency)
      next.push(0)
      active.add(dependency)
    }
  }
  return order
}

/**
 * Resolves constants that reference one another, in dependency order, and returns their
 * values keyed by bare name (`options.context` is read, not returned). Keys may be `key`
 * or `${key}`. Plain variables are kept as they are; splice variables and raw values are
 * rendered; lazy ones are rendered then given to `options.lazy`; node outputs are skipped
 * unless `need_initialization`. Throws an `ExprError`: REFERENCE_CYCLE (`keys`: the
 * cycle), REFERENCE_MISSING (`keys`: the constant, then what it misses) or LAZY_UNSUPPORTED.
 * @example
 * resolveConstants(
 *   {
 *     '${greeting}': { type: 'splice', value: 'hello ${name}' },
 *     '${name}': { type: 'plain', value: 'ada' },
 *   },
 *   { context: { _system: { task_id: 1 } } },
 * ) // { greeting: 'hello ada', name: 'ada' }
 */
export function resolveConstants(
  constants: Record<string, unknown>,
  options: ResolveConstantsOptions = {},
): Record<string, unknown> {
  const known = options.context ? bareContext(options.context) : {}
  const declarations = new Map<string, Declaration | undefined>()
  for (const [key, value] of Object.entries(constants)) {
    declarations.set(bareKey(key), declarationOf(value))
  }

  const working: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(known)) defineValue(working, key, value)
  const dependencies = new Map<string, string[]>()
  for (const [key, declaration] of declarations) {
    if (declaration === undefined) continue
    if (declaration.kind === 'plain') {
      defineValue(working, key, declaration.value)
      continue
    }
    if (declaration.kind === 'lazy' && !options.lazy) {
      throw new ExprError(
        'LAZY_UNSUPPORTED',
        `constant '${key}' is a lazy variable (${declaration.customType}) and no lazy resolver was given`,
        { keys: [key] },
      )
    }
    const used = references(declaration.value)
    const missing = used.filter((name) => !declarations.has(name) && !Object.hasOwn(known, name))
    if (missing.length > 0) {
      throw new ExprError(
        'REFERENCE_MISSING',
        `constant '${key}' references ${missing.map((name) => `'${name}'`).join(', ')}, which is neither a constant nor in the context`,
        { keys: [key, ...missing] },
      )
    }
    dependencies.set(key, used)
  }

  for (const key of dependencyOrder(dependencies)) {
    const declaration = declarations.get(key) as Declaration
    let value = renderValue(declaration.value, working)
    if (declaration.kind === 'lazy' && options.lazy) {
      value = options.lazy(declaration.customType, value, working)
    }
    defineValue(working, key, value)
  }

  const resolved: Record<string, unknown> = {}
  for (const [key, declaration] of declarations) {
    if (declaration !== undefined) defineValue(resolved, key, working[key])
  }
  return resolved
}
