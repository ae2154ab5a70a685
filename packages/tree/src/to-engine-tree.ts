import { dialectOf } from './dialect.js'
import { flowList } from './graph.js'
import { uniqueId } from './ids.js'
import { templateReferences } from './template-refs.js'
import type {
  Activity,
  Constant,
  EngineTree,
  Gateway,
  NodeOutputVariable,
  PipelineTree,
  Variable,
} from './types.js'

/** Options of `toEngineTree`. */
export interface ToEngineTreeOptions {
  /** Custom types of constants that are lazy variables, computed by a plugin at run time. */
  lazyTypes?: Iterable<string>
  /** Convert the given tree itself instead of a copy (for a caller that owns the tree). */
  inPlace?: boolean
}

const VARIABLE_TYPES = new Set(['plain', 'splice', 'lazy'])

function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('${') && templateReferences(value).length > 0
  if (Array.isArray(value)) return value.some(hasTemplate)
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasTemplate)
  return false
}

/** A value as an engine variable: rendered (`splice`) when it holds a `${...}`, else `plain`. */
function asVariable(value: unknown): Variable {
  return { type: hasTemplate(value) ? 'splice' : 'plain', value }
}

function isVariable(value: unknown): value is Variable {
  return (
    typeof value === 'object' &&
    value !== null &&
    VARIABLE_TYPES.has(String((value as { type?: unknown }).type)) &&
    'value' in value
  )
}

/**
 * Converts a platform-format tree (`constants`, `component.data` with `hook`, `is_default` flows)
 * into the engine format the engine runs, as the platform does before starting a task: constants
 * become `data.inputs` (templates as `splice`, literals as `plain`, `component_outputs` constants as
 * node outputs), hooked inputs become references to their constant, `outputs` become
 * `data.outputs`, and a default flow becomes its gateway's `default_condition`. Subprocess trees
 * are converted too. A tree already in the engine format comes back as a copy.
 */
export function toEngineTree(tree: PipelineTree, options: ToEngineTreeOptions = {}): EngineTree {
  const copy = options.inPlace ? tree : (JSON.parse(JSON.stringify(tree)) as PipelineTree)
  if (dialectOf(tree) === 'engine') {
    copy.id ??= uniqueId('p')
    return copy as EngineTree
  }
  return convert(copy, new Set(options.lazyTypes ?? []), copy.id ?? uniqueId('p'))
}

function convert(tree: PipelineTree, lazyTypes: Set<string>, id: string): EngineTree {
  const constants: Record<string, Constant> = tree.constants ?? {}
  const inputs: Record<string, Variable | NodeOutputVariable> = { ...(tree.data?.inputs ?? {}) }

  for (const [key, constant] of Object.entries(constants)) {
    if (constant.source_type === 'component_outputs') {
      const sources = Object.entries(constant.source_info ?? {}).flatMap(([nodeId, keys]) =>
        keys.map((sourceKey) => ({ source_act: nodeId, source_key: sourceKey })),
      )
      if (sources.length === 1) {
        inputs[key] = { type: 'plain', value: constant.value ?? null, ...sources[0]! }
      } else if (sources.length > 1) {
        inputs[key] = { type: 'plain', value: constant.value ?? null, source_act: sources }
      }
      continue
    }
    if (constant.custom_type && lazyTypes.has(constant.custom_type)) {
      inputs[key] = { type: 'lazy', value: constant.value, custom_type: constant.custom_type }
    } else {
      inputs[key] = asVariable(constant.value)
    }
  }

  const activities: Record<string, Activity> = {}
  for (const [activityId, activity] of Object.entries(tree.activities)) {
    if (activity.type === 'SubProcess') {
      const params: Record<string, Variable> = {}
      for (const [key, param] of Object.entries(activity.params ?? {})) {
        if (isVariable(param)) params[key] = param
        else if (typeof param === 'object' && param !== null && 'value' in param) {
          params[key] = asVariable((param as { value: unknown }).value)
        } else params[key] = asVariable(param)
      }
      activities[activityId] = {
        ...activity,
        params,
        pipeline: convert(activity.pipeline, lazyTypes, activity.id),
      }
      continue
    }
    const { data, ...component } = activity.component
    const componentInputs: Record<string, Variable> = { ...(component.inputs ?? {}) }
    for (const [key, input] of Object.entries(data ?? {})) {
      let value = input.value
      if (input.hook === true && !hasTemplate(value)) {
        const hooked = Object.entries(constants).find(([, constant]) =>
          constant.source_info?.[activity.id]?.includes(key),
        )
        if (hooked) value = hooked[0]
      }
      componentInputs[key] = asVariable(value)
    }
    activities[activityId] = { ...activity, component: { ...component, inputs: componentInputs } }
  }

  const gateways: Record<string, Gateway> = {}
  for (const [gatewayId, gateway] of Object.entries(tree.gateways ?? {})) {
    if (gateway.type === 'ExclusiveGateway' || gateway.type === 'ConditionalParallelGateway') {
      const defaultFlow =
        gateway.default_condition?.flow_id ??
        flowList(gateway.outgoing).find((flowId) => tree.flows[flowId]?.is_default === true)
      gateways[gatewayId] = {
        ...gateway,
        default_condition: defaultFlow
          ? { ...gateway.default_condition, flow_id: defaultFlow }
          : {},
      }
    } else gateways[gatewayId] = gateway
  }

  const { constants: _constants, outputs, data, ...rest } = tree
  return {
    ...rest,
    id,
    activities,
    gateways,
    data: {
      inputs,
      outputs: [...(data?.outputs ?? []), ...(outputs ?? [])],
      ...(data?.pre_render_keys ? { pre_render_keys: data.pre_render_keys } : {}),
    },
  }
}
