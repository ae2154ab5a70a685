import { VAR_TYPES } from './types.js'

// A hand-written mirror of `pipelineTreeSchema`, used as a fast path: when it says a tree is
// well-formed, so does the schema (a property test holds them together); when it says no, the
// validator asks the schema, whose messages name every problem. It exists for speed only: zod
// costs about 6 µs a node, this check well under 1.

type Check = (value: unknown) => boolean

const VARIABLE_TYPES = new Set<unknown>(VAR_TYPES)

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const isString: Check = (v) => typeof v === 'string'
const isId: Check = (v) => typeof v === 'string' && v.length > 0
const isBoolean: Check = (v) => typeof v === 'boolean'
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v)
const isNonNegative: Check = (v) => isNumber(v) && (v as number) >= 0
const isCount: Check = (v) => isNonNegative(v) && Number.isInteger(v)
/** An array whose every slot passes (`every` would skip the holes of a sparse array). */
function arrayOf(check: Check, minLength = 0): Check {
  return (value) => {
    if (!Array.isArray(value) || value.length < minLength) return false
    for (let i = 0; i < value.length; i++) if (!check(value[i])) return false
    return true
  }
}
const isStrings = arrayOf(isString)
const isFlowRefs: Check = (v) => typeof v === 'string' || isStrings(v)
/** Absent, or passing the check: for the parts of a tree that are never null. */
const absentOr =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v)
/** Absent, or null as the Python builder writes `None`, or passing the check. */
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || v === null || check(v)

function recordOf(check: Check): Check {
  return (value) => {
    if (!isPlainObject(value)) return false
    for (const key in value) if (!check(value[key])) return false
    return true
  }
}

/** An object whose fields pass their checks; `required` keys must be present whatever their value. */
function objectWith(fields: Record<string, Check>, required: string[] = []): Check {
  const entries = Object.entries(fields)
  return (value) => {
    if (!isPlainObject(value)) return false
    for (const key of required) if (!(key in value)) return false
    for (const [key, check] of entries) if (!check(value[key])) return false
    return true
  }
}

const isVariable = objectWith(
  {
    type: (v) => VARIABLE_TYPES.has(v),
    custom_type: optional(isString),
    need_render: optional(isBoolean),
    is_param: optional(isBoolean),
  },
  ['value'],
)

const isNodeOutput = objectWith(
  {
    type: (v) => VARIABLE_TYPES.has(v),
    source_act: (v) =>
      isId(v) || arrayOf(objectWith({ source_act: isId, source_key: isString }), 1)(v),
    source_key: optional(isString),
    need_initialization: optional(isBoolean),
  },
  ['value'],
)

const isData = objectWith({
  inputs: recordOf((v) => isNodeOutput(v) || isVariable(v)),
  outputs: isStrings,
  pre_render_keys: optional(isStrings),
})

const isComponent = objectWith({
  code: isId,
  version: optional(isString),
  inputs: absentOr(recordOf(isVariable)),
  data: absentOr(recordOf(objectWith({ hook: optional(isBoolean) }, ['value']))),
})

const isServiceActivity = objectWith({
  id: isId,
  name: optional(isString),
  incoming: isFlowRefs,
  outgoing: isString,
  component: isComponent,
  error_ignorable: optional(isBoolean),
  skippable: optional(isBoolean),
  retryable: optional(isBoolean),
  optional: optional(isBoolean),
  timeout: (v) => v === undefined || v === null || isNonNegative(v),
  timeout_config: optional(
    objectWith({
      enable: isBoolean,
      seconds: isNonNegative,
      action: (v) => v === 'forced_fail' || v === 'forced_fail_and_skip',
    }),
  ),
  auto_retry: optional(objectWith({ enable: isBoolean, times: isCount, interval: isNonNegative })),
  loop_config: optional(
    objectWith({
      enable: isBoolean,
      loop_times: isCount,
      fail_skip: optional(isBoolean),
      retryable: optional(isBoolean),
      skippable: optional(isBoolean),
      outputs_key: optional(isString),
    }),
  ),
  stage_name: optional(isString),
})

const isSubProcess = objectWith({
  id: isId,
  name: optional(isString),
  incoming: isFlowRefs,
  outgoing: isString,
  params: optional(recordOf(() => true)),
  pipeline: (v) => isWellFormed(v),
})

const isGatewayBase = objectWith({ id: isId, name: optional(isString), incoming: isFlowRefs })

const isGateway: Check = (value) => {
  if (!isGatewayBase(value)) return false
  const gateway = value as Record<string, unknown>
  switch (gateway.type) {
    case 'ParallelGateway':
      return isStrings(gateway.outgoing) && optional(isString)(gateway.converge_gateway_id)
    case 'ExclusiveGateway':
    case 'ConditionalParallelGateway':
      return (
        isStrings(gateway.outgoing) &&
        recordOf(objectWith({ evaluate: isString, name: optional(isString) }))(
          gateway.conditions,
        ) &&
        optional(objectWith({ flow_id: optional(isString) }))(gateway.default_condition) &&
        optional(recordOf(() => true))(gateway.extra_info) &&
        optional(isString)(gateway.converge_gateway_id)
      )
    case 'ConvergeGateway':
      return isString(gateway.outgoing)
    default:
      return false
  }
}

const isActivity: Check = (value) => {
  if (!isPlainObject(value)) return false
  if (value.type === 'ServiceActivity') return isServiceActivity(value)
  if (value.type === 'SubProcess') return isSubProcess(value)
  return false
}

const isTree = objectWith({
  id: absentOr(isString),
  start_event: objectWith({
    id: isId,
    name: optional(isString),
    incoming: isFlowRefs,
    type: (v) => v === 'EmptyStartEvent',
    outgoing: isString,
  }),
  end_event: objectWith({
    id: isId,
    name: optional(isString),
    incoming: isFlowRefs,
    type: isId,
    outgoing: isFlowRefs,
  }),
  activities: recordOf(isActivity),
  gateways: absentOr(recordOf(isGateway)),
  flows: recordOf(
    objectWith({ id: isId, source: isString, target: isString, is_default: optional(isBoolean) }),
  ),
  data: absentOr(isData),
  constants: absentOr(
    recordOf(
      objectWith(
        {
          key: optional(isString),
          source_type: optional(isString),
          custom_type: optional(isString),
          source_tag: optional(isString),
          source_info: optional(recordOf(isStrings)),
          is_meta: optional(isBoolean),
        },
        ['value'],
      ),
    ),
  ),
  outputs: absentOr(isStrings),
})

/** Whether a value certainly matches `pipelineTreeSchema` (a cheap check; false means "ask zod"). */
export function isWellFormed(tree: unknown): boolean {
  return isTree(tree)
}
