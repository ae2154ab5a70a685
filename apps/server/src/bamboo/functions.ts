import type { EngineAPI, EngineAPIResult } from '@culm/engine'
import type { PipelineTree } from '@culm/tree'
import { z } from '@hono/zod-openapi'

const id = (what: string) => z.string().min(1).max(128).describe(what)
const object = z.record(z.string(), z.unknown())
const tree = object.describe(
  'A pipeline tree, in the engine format or the platform format. Each ServiceActivity may carry `timeout_config` (`{ enable, seconds, action: "forced_fail" | "forced_fail_and_skip" }`: force-fail, and skip, an activity still running after `seconds`; its component is stopped), `timeout` (seconds, force-fail), `auto_retry` (`{ enable, times, interval }`, at most 10 and 10 s), `loop_config`, `error_ignorable`, `skippable` and `retryable`.',
)

/** What a bamboo function changes, which decides the engine-type check before it runs. */
export type FunctionKind = 'start' | 'pipeline' | 'node' | 'read'

/** One function of `bamboo_engine.api` as served over HTTP. */
export interface BambooFunction<S extends z.ZodType = z.ZodType> {
  name: string
  summary: string
  body: S
  kind: FunctionKind
  /** The id whose pipeline must have been started with the bamboo engine (pipeline and node kinds). */
  target?: (body: z.infer<S>) => string
  call: (api: EngineAPI, body: z.infer<S>) => Promise<EngineAPIResult>
}

function fn<S extends z.ZodType>(spec: BambooFunction<S>): BambooFunction {
  return spec as unknown as BambooFunction
}

const nodeOnly = z.strictObject({ node_id: id('Node id') })
const pipelineOnly = z.strictObject({ pipeline_id: id('Pipeline id') })
const loopFilter = z.strictObject({
  node_id: id('Node id'),
  loop: z.number().int().min(-1).optional().describe('Loop to keep; -1 (default) for all'),
})

/** Every function of `../shared/seeds/002_*` (and the later ones of the engine), by snake_case name. */
export const BAMBOO_FUNCTIONS: BambooFunction[] = [
  fn({
    name: 'run_pipeline',
    summary: 'Validates a pipeline tree and runs it',
    kind: 'start',
    body: z.strictObject({
      pipeline: tree,
      root_pipeline_data: object.optional(),
      root_pipeline_context: object.optional(),
      subprocess_context: object.optional(),
      cycle_tolerate: z.boolean().optional(),
      start_node_id: id('Node to start from').optional(),
      queue: z.string().max(128).optional().describe('Accepted for compatibility; one queue'),
      priority: z.number().int().min(0).max(255).optional().describe('Accepted for compatibility'),
    }),
    call: (api, b) =>
      api.runPipeline({
        pipeline: b.pipeline as unknown as PipelineTree,
        ...(b.root_pipeline_data ? { rootPipelineData: b.root_pipeline_data } : {}),
        ...(b.root_pipeline_context ? { rootPipelineContext: b.root_pipeline_context } : {}),
        ...(b.subprocess_context ? { subprocessContext: b.subprocess_context } : {}),
        ...(b.cycle_tolerate === undefined ? {} : { cycleTolerate: b.cycle_tolerate }),
        ...(b.start_node_id === undefined ? {} : { startNodeId: b.start_node_id }),
      }),
  }),
  fn({
    name: 'pause_pipeline',
    summary: 'Pauses a pipeline or subprocess',
    kind: 'pipeline',
    body: pipelineOnly,
    target: (b) => b.pipeline_id,
    call: (api, b) => api.pausePipeline({ pipelineId: b.pipeline_id }),
  }),
  fn({
    name: 'revoke_pipeline',
    summary: 'Revokes a pipeline for good',
    kind: 'pipeline',
    body: pipelineOnly,
    target: (b) => b.pipeline_id,
    call: (api, b) => api.revokePipeline({ pipelineId: b.pipeline_id }),
  }),
  fn({
    name: 'resume_pipeline',
    summary: 'Resumes a paused pipeline or subprocess',
    kind: 'pipeline',
    body: pipelineOnly,
    target: (b) => b.pipeline_id,
    call: (api, b) => api.resumePipeline({ pipelineId: b.pipeline_id }),
  }),
  fn({
    name: 'pause_node_appoint',
    summary: 'Appoints a pause at a node',
    kind: 'node',
    body: nodeOnly,
    target: (b) => b.node_id,
    call: (api, b) => api.pauseNodeAppoint({ nodeId: b.node_id }),
  }),
  fn({
    name: 'resume_node_appoint',
    summary: 'Lifts an appointed pause',
    kind: 'node',
    body: nodeOnly,
    target: (b) => b.node_id,
    call: (api, b) => api.resumeNodeAppoint({ nodeId: b.node_id }),
  }),
  fn({
    name: 'retry_node',
    summary: 'Runs a failed node again; data, when given, replaces its inputs',
    kind: 'node',
    body: z.strictObject({
      node_id: id('Failed node id'),
      data: object.nullable().optional(),
      loop_retry: z.boolean().optional(),
    }),
    target: (b) => b.node_id,
    call: (api, b) =>
      api.retryNode({
        nodeId: b.node_id,
        ...(b.data ? { data: b.data } : {}),
        ...(b.loop_retry === undefined ? {} : { loopRetry: b.loop_retry }),
      }),
  }),
  fn({
    name: 'retry_subprocess',
    summary: 'Runs a failed subprocess node again',
    kind: 'node',
    body: nodeOnly,
    target: (b) => b.node_id,
    call: (api, b) => api.retrySubprocess({ nodeId: b.node_id }),
  }),
  fn({
    name: 'skip_node',
    summary: 'Skips a failed activity',
    kind: 'node',
    body: z.strictObject({ node_id: id('Failed node id'), loop_skip: z.boolean().optional() }),
    target: (b) => b.node_id,
    call: (api, b) =>
      api.skipNode({
        nodeId: b.node_id,
        ...(b.loop_skip === undefined ? {} : { loopSkip: b.loop_skip }),
      }),
  }),
  fn({
    name: 'skip_exclusive_gateway',
    summary: 'Skips a failed exclusive gateway along a flow',
    kind: 'node',
    body: z.strictObject({ node_id: id('Gateway id'), flow_id: id('Flow to take') }),
    target: (b) => b.node_id,
    call: (api, b) => api.skipExclusiveGateway({ nodeId: b.node_id, flowId: b.flow_id }),
  }),
  fn({
    name: 'skip_conditional_parallel_gateway',
    summary: 'Skips a failed conditional parallel gateway along the chosen flows',
    kind: 'node',
    body: z.strictObject({
      node_id: id('Gateway id'),
      flow_ids: z.array(id('Flow id')).min(1).max(1000),
      converge_gateway_id: id('The matching converge gateway'),
    }),
    target: (b) => b.node_id,
    call: (api, b) =>
      api.skipConditionalParallelGateway({
        nodeId: b.node_id,
        flowIds: b.flow_ids,
        convergeGatewayId: b.converge_gateway_id,
      }),
  }),
  fn({
    name: 'forced_fail_activity',
    summary: 'Fails a running activity at once',
    kind: 'node',
    body: z.strictObject({
      node_id: id('Running activity id'),
      ex_data: z.string().max(65536).optional(),
      send_post_set_state_signal: z.boolean().optional(),
    }),
    target: (b) => b.node_id,
    call: (api, b) =>
      api.forcedFailActivity({
        nodeId: b.node_id,
        ...(b.ex_data === undefined ? {} : { exData: b.ex_data }),
        ...(b.send_post_set_state_signal === undefined
          ? {}
          : { sendPostSetStateSignal: b.send_post_set_state_signal }),
      }),
  }),
  fn({
    name: 'callback',
    summary: 'Sends callback data to a node waiting at a version',
    kind: 'node',
    body: z.strictObject({
      node_id: id('Waiting node id'),
      version: id('The node state version'),
      data: z.unknown().optional(),
    }),
    target: (b) => b.node_id,
    call: (api, b) => api.callback({ nodeId: b.node_id, version: b.version, data: b.data ?? {} }),
  }),
  fn({
    name: 'get_pipeline_states',
    summary: 'The state tree of a root pipeline',
    kind: 'read',
    body: z.strictObject({
      root_id: id('Root pipeline id'),
      flat_children: z.boolean().optional(),
    }),
    call: (api, b) =>
      api.getPipelineStates({
        rootId: b.root_id,
        ...(b.flat_children === undefined ? {} : { flatChildren: b.flat_children }),
      }),
  }),
  fn({
    name: 'get_children_states',
    summary: 'A node state with the states of its children',
    kind: 'read',
    body: nodeOnly,
    call: (api, b) => api.getChildrenStates({ nodeId: b.node_id }),
  }),
  fn({
    name: 'get_execution_data_inputs',
    summary: 'A node inputs as last run',
    kind: 'read',
    body: nodeOnly,
    call: (api, b) => api.getExecutionDataInputs({ nodeId: b.node_id }),
  }),
  fn({
    name: 'get_execution_data_outputs',
    summary: 'A node outputs as last run',
    kind: 'read',
    body: nodeOnly,
    call: (api, b) => api.getExecutionDataOutputs({ nodeId: b.node_id }),
  }),
  fn({
    name: 'get_execution_data',
    summary: 'A node inputs and outputs as last run',
    kind: 'read',
    body: nodeOnly,
    call: (api, b) => api.getExecutionData({ nodeId: b.node_id }),
  }),
  fn({
    name: 'get_data',
    summary: 'A node configured inputs and output map',
    kind: 'read',
    body: nodeOnly,
    call: (api, b) => api.getData({ nodeId: b.node_id }),
  }),
  fn({
    name: 'get_pipeline_debug_info',
    summary: 'A pipeline context values and its processes, for debugging',
    kind: 'read',
    body: pipelineOnly,
    call: (api, b) => api.getPipelineDebugInfo({ pipelineId: b.pipeline_id }),
  }),
  fn({
    name: 'get_node_histories',
    summary: 'A node archived runs',
    kind: 'read',
    body: loopFilter,
    call: (api, b) =>
      api.getNodeHistories({
        nodeId: b.node_id,
        ...(b.loop === undefined ? {} : { loop: b.loop }),
      }),
  }),
  fn({
    name: 'get_node_short_histories',
    summary: 'A node archived runs without their data',
    kind: 'read',
    body: loopFilter,
    call: (api, b) =>
      api.getNodeShortHistories({
        nodeId: b.node_id,
        ...(b.loop === undefined ? {} : { loop: b.loop }),
      }),
  }),
  fn({
    name: 'preview_node_inputs',
    summary: 'Renders a node inputs from a tree without running it',
    kind: 'read',
    body: z.strictObject({
      pipeline: tree,
      node_id: id('Node id'),
      subprocess_stack: z.array(id('Subprocess node id')).max(100).optional(),
      root_pipeline_data: object.optional(),
      parent_params: object.optional(),
    }),
    call: (api, b) =>
      api.previewNodeInputs({
        pipeline: b.pipeline as unknown as PipelineTree,
        nodeId: b.node_id,
        ...(b.subprocess_stack ? { subprocessStack: b.subprocess_stack } : {}),
        ...(b.root_pipeline_data ? { rootPipelineData: b.root_pipeline_data } : {}),
        ...(b.parent_params ? { parentParams: b.parent_params } : {}),
      }),
  }),
  fn({
    name: 'get_pipeline_execution_time',
    summary: 'How long a pipeline has run',
    kind: 'read',
    body: pipelineOnly,
    call: (api, b) => api.getPipelineExecutionTime({ pipelineId: b.pipeline_id }),
  }),
  fn({
    name: 'get_node_execution_time',
    summary: 'How long a node has run',
    kind: 'read',
    body: nodeOnly,
    call: (api, b) => api.getNodeExecutionTime({ nodeId: b.node_id }),
  }),
  fn({
    name: 'update_context_values',
    summary: 'Overwrites context values of a pipeline',
    kind: 'pipeline',
    body: z.strictObject({ pipeline_id: id('Pipeline id'), context_values: object }),
    target: (b) => b.pipeline_id,
    call: (api, b) =>
      api.updateContextValues({ pipelineId: b.pipeline_id, contextValues: b.context_values }),
  }),
]
