import { bareKey, formatKey } from '@culm/expr'
import {
  type ConditionalGateway,
  type EngineTree,
  flowList,
  type NodeOutputVariable,
  type PipelineTree,
  recordValues,
  type ServiceActivityNode as ServiceActivity,
  type SubProcessNode as SubProcess,
  type Variable,
} from '@culm/tree'
import type { ContextValue, DataInput, DataRecord, NodeRecord } from './ports/records.js'

/** Everything a started pipeline writes before its first step. */
export interface PreparedPipeline {
  nodes: NodeRecord[]
  data: Array<[string, DataRecord]>
  contexts: Array<[string, Record<string, ContextValue>]>
}

/** Options of `preparePipeline`. */
export interface PrepareOptions {
  rootPipelineContext?: Record<string, unknown>
  subprocessContext?: Record<string, unknown>
}

function isNodeOutput(value: Variable | NodeOutputVariable): value is NodeOutputVariable {
  return 'source_act' in value && value.source_act !== undefined
}

function dataInput(variable: Variable | unknown): DataInput {
  if (
    typeof variable === 'object' &&
    variable !== null &&
    'type' in variable &&
    'value' in variable
  ) {
    const v = variable as Variable
    const input: DataInput = {
      needRender: v.type !== 'plain' && v.need_render !== false,
      value: v.value,
    }
    if (v.type === 'lazy' && v.custom_type) input.customType = v.custom_type
    return input
  }
  return { needRender: true, value: variable }
}

/** The output map of every node of one pipeline: node id -> output key -> context keys. */
function outputMaps(tree: PipelineTree): Map<string, Record<string, string[]>> {
  const maps = new Map<string, Record<string, string[]>>()
  const add = (nodeId: string, sourceKey: string, contextKey: string) => {
    const map = maps.get(nodeId) ?? {}
    const keys = map[sourceKey] ?? []
    keys.push(contextKey)
    map[sourceKey] = keys
    maps.set(nodeId, map)
  }
  for (const [key, variable] of Object.entries(tree.data?.inputs ?? {})) {
    if (!isNodeOutput(variable)) continue
    if (typeof variable.source_act === 'string')
      add(variable.source_act, variable.source_key ?? '', key)
    else for (const source of variable.source_act) add(source.source_act, source.source_key, key)
  }
  return maps
}

function contextOf(
  tree: PipelineTree,
  presets: Record<string, unknown>,
): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {}
  for (const [key, variable] of Object.entries(tree.data?.inputs ?? {})) {
    if (isNodeOutput(variable)) {
      if (variable.need_initialization) context[key] = { type: 'plain', value: variable.value }
      continue
    }
    const value: ContextValue = { type: variable.type, value: variable.value }
    if (variable.type === 'lazy' && variable.custom_type) value.customType = variable.custom_type
    context[key] = value
  }
  for (const [key, value] of Object.entries(presets))
    context[formatKey(bareKey(key))] = { type: 'plain', value }
  return context
}

/** The node record of one node of `pipeline`, its outgoing flows resolved to their targets. */
function nodeRecord(
  pipeline: PipelineTree,
  pipelineId: string,
  rootPipelineId: string,
  source: { id: string; type: string; name?: string | null | undefined },
  outgoing: string | string[],
): NodeRecord {
  const flowIds = flowList(outgoing)
  const targets = new Array<NodeRecord['targets'][number]>(flowIds.length)
  for (let i = 0; i < flowIds.length; i++) {
    const flowId = flowIds[i]!
    targets[i] = { flowId, targetId: pipeline.flows[flowId]?.target ?? '' }
  }
  return {
    id: source.id,
    type: source.type,
    name: source.name ?? '',
    pipelineId,
    rootPipelineId,
    targets,
    canSkip: true,
    canRetry: true,
    errorIgnorable: false,
  }
}

/**
 * Compiles a validated engine-format tree (with its subprocess trees) into the node definitions,
 * configured data and initial contexts the engine runs from.
 */
export function preparePipeline(tree: EngineTree, options: PrepareOptions = {}): PreparedPipeline {
  const prepared: PreparedPipeline = { nodes: [], data: [], contexts: [] }
  const rootId = tree.id
  const visit = (pipeline: PipelineTree, pipelineId: string, depth: number): void => {
    const presets =
      depth === 0 ? (options.rootPipelineContext ?? {}) : (options.subprocessContext ?? {})
    prepared.contexts.push([pipelineId, contextOf(pipeline, presets)])
    const outputs = outputMaps(pipeline)
    const makeNode = (
      source: { id: string; type: string; name?: string | null | undefined },
      outgoing: string | string[],
    ): NodeRecord => nodeRecord(pipeline, pipelineId, rootId, source, outgoing)

    const start = pipeline.start_event
    const startNode = makeNode(start, start.outgoing)
    if (pipeline.data?.pre_render_keys?.length)
      startNode.preRenderKeys = pipeline.data.pre_render_keys
    prepared.nodes.push(startNode)

    const end = pipeline.end_event
    const endNode = makeNode(end, [])
    endNode.pipelineOutputs = pipeline.data?.outputs ?? []
    prepared.nodes.push(endNode)

    for (const activity of recordValues(pipeline.activities)) {
      if (activity.type === 'SubProcess') {
        const sub = activity as SubProcess
        const subNode = makeNode(sub, sub.outgoing)
        subNode.startEventId = sub.pipeline.start_event.id
        subNode.pipelineOutputs = sub.pipeline.data?.outputs ?? []
        prepared.nodes.push(subNode)
        const inputs: Record<string, DataInput> = {}
        for (const [key, param] of Object.entries(sub.params ?? {})) inputs[key] = dataInput(param)
        prepared.data.push([sub.id, { inputs, outputs: outputs.get(sub.id) ?? {} }])
        visit(sub.pipeline, sub.id, depth + 1)
        continue
      }
      const act = activity as ServiceActivity
      const node = makeNode(act, act.outgoing)
      node.canSkip = act.skippable ?? true
      node.canRetry = act.retryable ?? true
      node.errorIgnorable = act.error_ignorable ?? false
      node.component = { code: act.component.code, version: act.component.version ?? 'legacy' }
      if (act.timeout_config?.enable) {
        node.timeout = { seconds: act.timeout_config.seconds, action: act.timeout_config.action }
      } else if (typeof act.timeout === 'number' && act.timeout > 0) {
        node.timeout = { seconds: act.timeout, action: 'forced_fail' }
      }
      if (act.auto_retry?.enable && act.auto_retry.times > 0) {
        node.autoRetry = {
          times: Math.min(act.auto_retry.times, 10),
          intervalSeconds: Math.min(Math.max(act.auto_retry.interval, 0), 10),
        }
      }
      if (act.loop_config?.enable) {
        node.loopConfig = {
          loopTimes: act.loop_config.loop_times,
          failSkip: act.loop_config.fail_skip ?? false,
          retryable: act.loop_config.retryable ?? false,
          skippable: act.loop_config.skippable ?? false,
          outputsKey: act.loop_config.outputs_key ?? 'outputs',
        }
      }
      prepared.nodes.push(node)
      const inputs: Record<string, DataInput> = {}
      for (const [key, variable] of Object.entries(act.component.inputs ?? {}))
        inputs[key] = dataInput(variable)
      prepared.data.push([act.id, { inputs, outputs: outputs.get(act.id) ?? {} }])
    }

    for (const gateway of recordValues(pipeline.gateways)) {
      const node = makeNode(gateway, gateway.outgoing)
      if (gateway.type === 'ExclusiveGateway' || gateway.type === 'ConditionalParallelGateway') {
        const conditional = gateway as ConditionalGateway
        node.conditions = node.targets
          .filter((t) => conditional.conditions[t.flowId] !== undefined)
          .map((t) => ({ ...t, evaluate: conditional.conditions[t.flowId]!.evaluate }))
        if (conditional.default_condition?.flow_id)
          node.defaultFlowId = conditional.default_condition.flow_id
        if (conditional.extra_info?.strategy === 'first') node.strategy = 'first'
      }
      if (gateway.type !== 'ConvergeGateway' && gateway.converge_gateway_id) {
        node.convergeGatewayId = gateway.converge_gateway_id
      }
      prepared.nodes.push(node)
    }
  }
  visit(tree, rootId, 0)
  return prepared
}
