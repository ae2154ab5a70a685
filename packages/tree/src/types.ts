/**
 * The pipeline tree in both of its dialects.
 *
 * The engine format is what `build_tree` of the Python engine produces and what the engine runs:
 * node inputs are variables (`{type, value}`) and the pipeline context is declared in `data`.
 * The platform format is what the operations platform's `fast_create_task` takes: node inputs are
 * `{hook, value}` pairs and the context is declared as `constants`.
 */

/** A flow id or a list of them; `''` or `[]` means none. */
export type FlowRefs = string | string[]

/** The node types the validator knows, besides end-event types registered as sinks. */
export const NODE_TYPES = [
  'EmptyStartEvent',
  'EmptyEndEvent',
  'ServiceActivity',
  'SubProcess',
  'ParallelGateway',
  'ExclusiveGateway',
  'ConditionalParallelGateway',
  'ConvergeGateway',
] as const
export type NodeType = (typeof NODE_TYPES)[number]

export const GATEWAY_TYPES = [
  'ParallelGateway',
  'ExclusiveGateway',
  'ConditionalParallelGateway',
  'ConvergeGateway',
] as const
export type GatewayType = (typeof GATEWAY_TYPES)[number]

/** How a variable's value becomes a context value: as is, rendered, or computed by a plugin. */
export const VAR_TYPES = ['plain', 'splice', 'lazy'] as const
export type VarType = (typeof VAR_TYPES)[number]

/** A variable of the engine format (`component.inputs`, `data.inputs`, `params`). */
export interface Variable {
  type: VarType
  value: unknown
  custom_type?: string | null
  need_render?: boolean | null
  is_param?: boolean | null
  [extra: string]: unknown
}

/** One output of one node, copied into a context key after the node runs. */
export interface OutputSource {
  source_act: string
  source_key: string
}

/** A context key fed by node outputs (`NodeOutput`, `RewritableNodeOutput`). */
export interface NodeOutputVariable {
  type: VarType
  source_act: string | OutputSource[]
  source_key?: string | null
  value?: unknown
  need_initialization?: boolean | null
  [extra: string]: unknown
}

/** The pipeline context definition of the engine format. */
export interface PipelineData {
  inputs: Record<string, Variable | NodeOutputVariable>
  outputs: string[]
  pre_render_keys?: string[] | null
}

export interface StartEvent {
  id: string
  name?: string | null
  type: 'EmptyStartEvent'
  incoming: FlowRefs
  outgoing: string
  [extra: string]: unknown
}

export interface EndEvent {
  id: string
  name?: string | null
  /** `EmptyEndEvent`, or the type of an executable end event registered as a sink. */
  type: string
  incoming: FlowRefs
  outgoing: FlowRefs
  [extra: string]: unknown
}

/** A platform-format node input: `hook` ties it to the constant named in `value`. */
export interface HookedInput {
  hook: boolean
  value: unknown
  [extra: string]: unknown
}

export interface Component {
  code: string
  version?: string | null
  /** Engine format. */
  inputs?: Record<string, Variable>
  /** Platform format. */
  data?: Record<string, HookedInput>
  [extra: string]: unknown
}

export interface TimeoutConfig {
  enable: boolean
  seconds: number
  action: 'forced_fail' | 'forced_fail_and_skip'
}

export interface AutoRetry {
  enable: boolean
  times: number
  interval: number
}

export interface LoopConfig {
  enable: boolean
  loop_times: number
  fail_skip?: boolean | null
  retryable?: boolean | null
  skippable?: boolean | null
  outputs_key?: string | null
}

export interface ServiceActivityNode {
  id: string
  name?: string | null
  type: 'ServiceActivity'
  incoming: FlowRefs
  outgoing: string
  component: Component
  error_ignorable?: boolean | null
  skippable?: boolean | null
  retryable?: boolean | null
  optional?: boolean | null
  timeout?: number | null
  timeout_config?: TimeoutConfig | null
  auto_retry?: AutoRetry | null
  loop_config?: LoopConfig | null
  stage_name?: string | null
  [extra: string]: unknown
}

export interface SubProcessNode {
  id: string
  name?: string | null
  type: 'SubProcess'
  incoming: FlowRefs
  outgoing: string
  /** Subprocess parameters, keyed `${key}`, rendered in the parent's context at entry. */
  params?: Record<string, Variable | unknown> | null
  pipeline: PipelineTree
  [extra: string]: unknown
}

export type Activity = ServiceActivityNode | SubProcessNode

/** A branch condition; `evaluate` is a `${...}`/jexl expression. */
export interface Condition {
  evaluate: string
  name?: string | null
  [extra: string]: unknown
}

export interface ParallelGatewayNode {
  id: string
  name?: string | null
  type: 'ParallelGateway'
  incoming: FlowRefs
  outgoing: string[]
  converge_gateway_id?: string | null
  [extra: string]: unknown
}

export interface ConditionalGateway {
  id: string
  name?: string | null
  type: 'ExclusiveGateway' | 'ConditionalParallelGateway'
  incoming: FlowRefs
  outgoing: string[]
  conditions: Record<string, Condition>
  default_condition?: { flow_id?: string; name?: string; [extra: string]: unknown } | null
  extra_info?: { strategy?: string; [extra: string]: unknown } | null
  converge_gateway_id?: string | null
  [extra: string]: unknown
}

export interface ConvergeGatewayNode {
  id: string
  name?: string | null
  type: 'ConvergeGateway'
  incoming: FlowRefs
  outgoing: string
  [extra: string]: unknown
}

export type Gateway = ParallelGatewayNode | ConditionalGateway | ConvergeGatewayNode

export interface Flow {
  id: string
  source: string
  target: string
  is_default?: boolean | null
  [extra: string]: unknown
}

/** A platform-format global variable (`constants` entry). */
export interface Constant {
  key: string
  name?: string | null
  index?: number | null
  desc?: string | null
  value: unknown
  /** `custom`, `component_inputs` or `component_outputs`. */
  source_type?: string | null
  custom_type?: string | null
  source_tag?: string | null
  source_info?: Record<string, string[]> | null
  show_type?: string | null
  is_meta?: boolean | null
  [extra: string]: unknown
}

/** A pipeline tree in either dialect. */
export interface PipelineTree {
  id?: string
  start_event: StartEvent
  end_event: EndEvent
  activities: Record<string, Activity>
  gateways: Record<string, Gateway>
  flows: Record<string, Flow>
  /** Engine format. */
  data?: PipelineData
  /** Platform format. */
  constants?: Record<string, Constant>
  /** Platform format: context keys exported as the pipeline's outputs. */
  outputs?: string[]
  [extra: string]: unknown
}

/** A tree in the engine format: what the engine runs. */
export interface EngineTree extends PipelineTree {
  id: string
  data: PipelineData
}

/** Any node of a tree. */
export type TreeNode = StartEvent | EndEvent | Activity | Gateway
