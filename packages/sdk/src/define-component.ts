import { InvalidComponentError, InvalidVariableError } from './errors.js'
import type {
  ComponentDefinition,
  ComponentSpec,
  Failure,
  JsonSchema,
  LazyVariableDefinition,
  LazyVariableSpec,
} from './types.js'

const CODE = /^[a-z][a-z0-9_]*$/
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

function checkObjectSchema(code: string, which: string, schema: unknown): void {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new InvalidComponentError(code, `${which} must be a JSON Schema object`)
  }
  const { type, properties, required } = schema as JsonSchema
  if (type !== 'object') {
    throw new InvalidComponentError(code, `${which} schema must have type "object"`)
  }
  if (properties !== undefined && (typeof properties !== 'object' || properties === null)) {
    throw new InvalidComponentError(code, `${which}.properties must be an object`)
  }
  if (required !== undefined) {
    if (!Array.isArray(required) || required.some((key) => typeof key !== 'string')) {
      throw new InvalidComponentError(code, `${which}.required must be a list of keys`)
    }
    const missing = required.filter((key) => !properties || !(key in properties))
    if (missing.length > 0) {
      throw new InvalidComponentError(
        code,
        `${which}.required names keys without a property: ${missing.join(', ')}`,
      )
    }
  }
}

/**
 * Defines a component: its identity, the JSON Schemas of its inputs and outputs, and its code.
 * @example
 * export default defineComponent({
 *   code: 'greet',
 *   version: '1.0.0',
 *   name: 'Greet',
 *   inputs: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] },
 *   outputs: { type: 'object', properties: { greeting: { type: 'string' } } },
 *   execute(ctx) {
 *     ctx.setOutput('greeting', `hello ${ctx.data.who}`)
 *   },
 * })
 */
export function defineComponent<I = Record<string, unknown>, O = Record<string, unknown>>(
  spec: ComponentSpec<I, O>,
): ComponentDefinition<I, O> {
  const code = typeof spec?.code === 'string' ? spec.code : String(spec?.code)
  if (!CODE.test(code)) {
    throw new InvalidComponentError(code, 'code must be lower snake case (a-z, 0-9, _)')
  }
  const version = spec.version ?? 'legacy'
  if (typeof version !== 'string' || !VERSION.test(version)) {
    throw new InvalidComponentError(code, `version ${String(version)} is not a version string`)
  }
  if (typeof spec.name !== 'string' || spec.name.trim() === '') {
    throw new InvalidComponentError(code, 'name must be a non-empty string')
  }
  checkObjectSchema(code, 'inputs', spec.inputs)
  checkObjectSchema(code, 'outputs', spec.outputs)
  if (typeof spec.execute !== 'function') {
    throw new InvalidComponentError(code, 'execute must be a function')
  }
  if (spec.schedule !== undefined && typeof spec.schedule !== 'function') {
    throw new InvalidComponentError(code, 'schedule must be a function')
  }
  const { interval } = spec
  if (interval !== undefined) {
    if (!spec.schedule) throw new InvalidComponentError(code, 'interval needs a schedule function')
    if (typeof interval !== 'function' && !(typeof interval === 'number' && interval >= 0)) {
      throw new InvalidComponentError(code, 'interval must be seconds (>= 0) or a function')
    }
  }
  if (spec.multiCallback && !spec.schedule) {
    throw new InvalidComponentError(code, 'multiCallback needs a schedule function')
  }
  if (spec.multiCallback && interval !== undefined) {
    throw new InvalidComponentError(code, 'a component either polls (interval) or takes callbacks')
  }
  if (spec.timeout !== undefined && !(typeof spec.timeout === 'number' && spec.timeout > 0)) {
    throw new InvalidComponentError(code, 'timeout must be a positive number of seconds')
  }
  return { ...spec, version, kind: 'culm.component', apiVersion: 1 }
}

/**
 * Defines a lazy variable (`type: lazy`, `custom_type: code`), computed when a node renders it.
 * @example
 * export const upper = defineLazyVariable({ code: 'upper', getValue: (v) => String(v).toUpperCase() })
 */
export function defineLazyVariable(spec: LazyVariableSpec): LazyVariableDefinition {
  const code = typeof spec?.code === 'string' ? spec.code : String(spec?.code)
  if (!CODE.test(code)) {
    throw new InvalidVariableError(code, 'code must be lower snake case (a-z, 0-9, _)')
  }
  if (typeof spec.getValue !== 'function') {
    throw new InvalidVariableError(code, 'getValue must be a function')
  }
  return { ...spec, kind: 'culm.lazy-variable', apiVersion: 1 }
}

/** A failure with a message for the node's `ex_data`: `return fail('no such user')`. */
export function fail(message: string): Failure {
  return { success: false, error: message }
}

/** Whether a value is a component made by `defineComponent` (of any copy of the SDK). */
export function isComponentDefinition(value: unknown): value is ComponentDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'culm.component' &&
    (value as { apiVersion?: unknown }).apiVersion === 1
  )
}

/** Whether a value is a lazy variable made by `defineLazyVariable`. */
export function isLazyVariableDefinition(value: unknown): value is LazyVariableDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'culm.lazy-variable' &&
    (value as { apiVersion?: unknown }).apiVersion === 1
  )
}
