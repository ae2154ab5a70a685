import type {
  ComponentDefinition,
  ComponentDescription,
  FieldDescription,
  JsonSchema,
  ObjectSchema,
  ScheduleMode,
} from './types.js'

const FIELD_TYPES: Record<string, string> = {
  string: 'string',
  integer: 'int',
  number: 'float',
  boolean: 'bool',
  object: 'object',
  array: 'list',
}

function fieldType(schema: JsonSchema): string {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  return (type && FIELD_TYPES[type]) ?? 'object'
}

/** The fields of an object schema, in the form of the engine's declared inputs and outputs. */
export function schemaFields(schema: ObjectSchema): FieldDescription[] {
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(([key, property]) => ({
    key,
    name: typeof property.title === 'string' ? property.title : key,
    type: fieldType(property),
    required: required.has(key),
    schema: property,
  }))
}

/** How the engine waits after execute, from the component's schedule settings. */
export function scheduleMode(component: ComponentDefinition): ScheduleMode {
  if (!component.schedule) return 'none'
  if (component.multiCallback) return 'multi_callback'
  if (component.interval !== undefined) return 'poll'
  return 'callback'
}

/** A component as JSON: identity, schemas and schedule mode, for the host and the console. */
export function describeComponent(component: ComponentDefinition): ComponentDescription {
  const description: ComponentDescription = {
    code: component.code,
    version: component.version,
    name: component.name,
    inputs: component.inputs,
    outputs: component.outputs,
    scheduleMode: scheduleMode(component),
    timeout: component.timeout ?? 60,
    test: component.test === true,
  }
  if (component.group !== undefined) description.group = component.group
  if (component.description !== undefined) description.description = component.description
  return description
}
