import { BuilderError } from '../errors.js'
import { uniqueId } from '../ids.js'
import type { Activity, EngineTree, Flow, Gateway, PipelineData } from '../types.js'
import { Data, Params, type VariableLike, variablesJSON } from './data.js'
import {
  type ConditionalGatewayElement,
  type Element,
  EmptyEndEvent,
  type EmptyStartEvent,
  ServiceActivity,
  SubProcess,
} from './elements.js'

/** Options of `buildTree`. */
export interface BuildOptions {
  /** The tree's id; a new `p…` id by default. */
  id?: string
  /** The context definition; `{ inputs: {}, outputs: [] }` by default. */
  data?: Data | PipelineData
}

/**
 * Builds an engine-format tree from linked elements, walking breadth-first from `start`; the
 * order of each node's `outgoing` is the order its links were made.
 * @example
 * const start = new EmptyStartEvent()
 * const act = new ServiceActivity({ componentCode: 'debug_node' })
 * act.component.inputs.message = new Var({ type: 'plain', value: 'hello' })
 * start.extend(act).extend(new EmptyEndEvent())
 * const tree = buildTree(start)
 */
export function buildTree(start: EmptyStartEvent, options: BuildOptions = {}): EngineTree {
  const tree: EngineTree = {
    id: options.id ?? uniqueId('p'),
    start_event: {
      id: start.id,
      name: start.name,
      type: 'EmptyStartEvent',
      incoming: '',
      outgoing: '',
    },
    end_event: { id: '', name: '', type: 'EmptyEndEvent', incoming: [], outgoing: '' },
    activities: {},
    gateways: {},
    flows: {},
    data:
      options.data instanceof Data
        ? options.data.toJSON()
        : (options.data ?? { inputs: {}, outputs: [] }),
  }
  const incoming = new Map<string, string[]>()
  const incomingOf = (id: string): string[] => {
    let list = incoming.get(id)
    if (!list) {
      list = []
      incoming.set(id, list)
    }
    return list
  }
  const addFlow = (source: Element, target: Element): string => {
    const flow: Flow = {
      id: uniqueId('f'),
      source: source.id,
      target: target.id,
      is_default: false,
    }
    tree.flows[flow.id] = flow
    incomingOf(target.id).push(flow.id)
    return flow.id
  }
  const single = (element: Element): Element => {
    const next = element.outgoing[0]
    if (!next || element.outgoing.length > 1) {
      throw new BuilderError(
        `${element.type} "${element.id}" must have exactly one outgoing element, it has ${element.outgoing.length}`,
        { nodeId: element.id },
      )
    }
    return next
  }

  let endFound = false
  const processed = new Set<string>()
  const queue: Element[] = [start]
  for (let head = 0; head < queue.length; head++) {
    const element = queue[head]!
    if (processed.has(element.id)) continue
    processed.add(element.id)
    queue.push(...element.outgoing)

    if (element === start) {
      tree.start_event.outgoing = addFlow(element, single(element))
    } else if (element.type === 'EmptyStartEvent') {
      throw new BuilderError(`a second start event "${element.id}" is linked into the tree`, {
        nodeId: element.id,
      })
    } else if (element instanceof EmptyEndEvent) {
      if (endFound) {
        throw new BuilderError(`the tree has more than one end element ("${element.id}")`, {
          nodeId: element.id,
        })
      }
      endFound = true
      tree.end_event = {
        id: element.id,
        name: element.name,
        type: element.type,
        incoming: incomingOf(element.id),
        outgoing: '',
      }
    } else if (element instanceof ServiceActivity) {
      const activity: Activity = {
        id: element.id,
        name: element.name,
        type: 'ServiceActivity',
        incoming: incomingOf(element.id),
        outgoing: '',
        error_ignorable: element.errorIgnorable,
        timeout: element.timeout,
        skippable: element.skippable,
        retryable: element.retryable,
        component: {
          code: element.component.code,
          inputs: variablesJSON(element.component.inputs) as Record<string, never>,
          ...(element.component.version !== undefined
            ? { version: element.component.version }
            : {}),
        },
        optional: false,
      }
      if (element.timeoutConfig) activity.timeout_config = element.timeoutConfig
      if (element.autoRetry) activity.auto_retry = element.autoRetry
      if (element.loopConfig) activity.loop_config = element.loopConfig
      tree.activities[element.id] = activity
      activity.outgoing = addFlow(element, single(element))
    } else if (element instanceof SubProcess) {
      const params =
        element.params instanceof Params
          ? element.params.toJSON()
          : variablesJSON(element.params as Record<string, VariableLike>)
      const subprocess: Activity = {
        id: element.id,
        name: element.name,
        type: 'SubProcess',
        incoming: incomingOf(element.id),
        outgoing: '',
        params,
        pipeline: buildTree(element.start, {
          id: element.id,
          ...(element.data ? { data: element.data } : {}),
        }),
      }
      tree.activities[element.id] = subprocess
      subprocess.outgoing = addFlow(element, single(element))
    } else {
      tree.gateways[element.id] = gatewayJSON(element, incomingOf(element.id), (target) =>
        addFlow(element, target),
      )
    }
  }
  if (!endFound) throw new BuilderError('the tree has no end event')
  return tree
}

function gatewayJSON(
  element: Element,
  incoming: string[],
  addFlow: (target: Element) => string,
): Gateway {
  const base = { id: element.id, name: element.name, incoming }
  switch (element.type) {
    case 'ConvergeGateway': {
      if (element.outgoing.length !== 1) {
        throw new BuilderError(
          `converge gateway "${element.id}" must have exactly one outgoing element`,
          {
            nodeId: element.id,
          },
        )
      }
      return { ...base, type: 'ConvergeGateway', outgoing: addFlow(element.outgoing[0]!) }
    }
    case 'ParallelGateway':
      return { ...base, type: 'ParallelGateway', outgoing: element.outgoing.map(addFlow) }
    case 'ExclusiveGateway':
    case 'ConditionalParallelGateway': {
      const conditional = element as ConditionalGatewayElement
      const outgoing = element.outgoing.map(addFlow)
      return {
        ...base,
        type: element.type,
        outgoing,
        conditions: conditional.linkConditionsWith(outgoing),
        default_condition: conditional.linkDefaultConditionWith(outgoing),
        ...(conditional.strategy ? { extra_info: { strategy: conditional.strategy } } : {}),
      }
    }
    default:
      throw new BuilderError(`element type "${element.type}" cannot be built`, {
        nodeId: element.id,
      })
  }
}
