import { expressionSizeProblem, oversizedFragments } from '../expression-limits.js'
import { type Graph, recordValues } from '../graph.js'
import { templateReferences, valueReferences } from '../template-refs.js'
import type { ConditionalGateway, PipelineTree } from '../types.js'
import type { ProblemList } from './problems.js'

/** Looks components up by code and version; `version` is absent when the tree names none. */
export interface ComponentLookup {
  has(code: string, version?: string): boolean
}

/** Names every pipeline context may use without declaring them. */
export const SYSTEM_VARIABLES = ['_system', '_loop', '_inner_loop', '_result', '_forced_failed']

function bare(key: string): string {
  return key.startsWith('${') && key.endsWith('}') ? key.slice(2, -1) : key
}

/** The context keys a tree declares (constants and loop nodes' `outputs_key`), as bare names. */
export function declaredKeys(tree: PipelineTree): Set<string> {
  const keys = new Set<string>()
  for (const key of Object.keys(tree.data?.inputs ?? {})) keys.add(bare(key))
  for (const key of Object.keys(tree.constants ?? {})) keys.add(bare(key))
  for (const activity of recordValues(tree.activities)) {
    if (activity.type === 'ServiceActivity' && activity.loop_config?.enable) {
      keys.add(bare(activity.loop_config.outputs_key ?? 'outputs'))
    }
  }
  return keys
}

/**
 * The gateway conditions: every outgoing flow of an exclusive or conditional-parallel gateway
 * has a condition or is the default flow, and every condition belongs to an outgoing flow.
 */
export function checkConditions(graph: Graph, problems: ProblemList): void {
  for (const node of graph.nodes.values()) {
    if (node.type !== 'ExclusiveGateway' && node.type !== 'ConditionalParallelGateway') continue
    const gateway = node.node as ConditionalGateway
    const conditions = gateway.conditions ?? {}
    const defaults = node.outgoing.filter((flowId) => graph.tree.flows[flowId]?.is_default === true)
    const defaultFlow = gateway.default_condition?.flow_id
    if (defaultFlow !== undefined) {
      if (!node.outgoing.includes(defaultFlow)) {
        problems.add(
          'TreeInvalidException',
          'DEFAULT_FLOW_INVALID',
          `the default flow "${defaultFlow}" of gateway "${node.id}" is not one of its outgoing flows`,
          { nodeId: node.id, flowId: defaultFlow },
        )
      } else if (!defaults.includes(defaultFlow)) defaults.push(defaultFlow)
    }
    if (defaults.length > 1) {
      problems.add(
        'TreeInvalidException',
        'DEFAULT_FLOW_INVALID',
        `gateway "${node.id}" has ${defaults.length} default flows (${defaults.join(', ')}); it may have one`,
        { nodeId: node.id },
      )
    }
    for (const flowId of node.outgoing) {
      const condition = conditions[flowId]
      if (condition === undefined && !defaults.includes(flowId)) {
        problems.add(
          'TreeInvalidException',
          'CONDITION_MISSING',
          `outgoing flow "${flowId}" of ${node.type} "${node.id}" has no condition and is not the default flow`,
          { nodeId: node.id, flowId },
        )
      } else if (condition !== undefined && condition.evaluate.trim() === '') {
        problems.add(
          'TreeInvalidException',
          'CONDITION_EMPTY',
          `the condition of flow "${flowId}" of gateway "${node.id}" is empty`,
          { nodeId: node.id, flowId },
        )
      }
    }
    const outgoing = new Set(node.outgoing)
    for (const flowId of Object.keys(conditions)) {
      if (!outgoing.has(flowId)) {
        problems.add(
          'TreeInvalidException',
          'CONDITION_UNKNOWN_FLOW',
          `gateway "${node.id}" has a condition for "${flowId}", which is not one of its outgoing flows`,
          { nodeId: node.id, flowId },
        )
      }
    }
  }
}

/** Component codes are known to the registry, when one is given. */
export function checkComponents(
  tree: PipelineTree,
  components: ComponentLookup,
  problems: ProblemList,
): void {
  // Trees use few components many times: each code and version is asked about once.
  const known = new Map<string, Map<string | undefined, boolean>>()
  const has = (code: string, version: string | undefined): boolean => {
    let versions = known.get(code)
    if (!versions) {
      versions = new Map()
      known.set(code, versions)
    }
    let found = versions.get(version)
    if (found === undefined) {
      found = components.has(code, version)
      versions.set(version, found)
    }
    return found
  }
  for (const activity of recordValues(tree.activities)) {
    if (activity.type !== 'ServiceActivity') continue
    const { code } = activity.component
    const version = activity.component.version ?? undefined
    if (!has(code, version)) {
      problems.add(
        'TreeInvalidException',
        'UNKNOWN_COMPONENT',
        version === undefined
          ? `activity "${activity.id}" uses component "${code}", which is not registered`
          : `activity "${activity.id}" uses component "${code}" version "${version}", which is not registered`,
        { nodeId: activity.id },
      )
    }
  }
}

/**
 * Every `${...}` reference in node inputs, subprocess parameters, gateway conditions and
 * constants names a key of the context it is rendered in (or a system variable).
 */
export function checkReferences(
  tree: PipelineTree,
  known: ReadonlySet<string>,
  problems: ProblemList,
  strict = false,
): void {
  const tooLarge = (value: unknown, where: string, at: { nodeId?: string; flowId?: string }) => {
    for (const problem of oversizedFragments(value)) {
      problems.add('TreeInvalidException', 'EXPRESSION_TOO_LARGE', `${where}: ${problem}`, at)
    }
  }
  const report = (names: string[], where: string, at: { nodeId?: string; flowId?: string }) => {
    for (const name of names) {
      if (known.has(name)) continue
      problems.add(
        'TreeInvalidException',
        'UNKNOWN_CONSTANT',
        strict
          ? `${where} refers to \${${name}}, which is not a constant of this pipeline`
          : `${where} refers to \${${name}}, which is not a constant of this pipeline: it is rendered as the text \${${name}}`,
        { ...at, path: name, warning: !strict },
      )
    }
  }

  for (const [key, variable] of Object.entries(tree.data?.inputs ?? {})) {
    if ('source_act' in variable) continue
    if (variable.type === 'plain') continue
    report(valueReferences(variable.value), `constant ${key}`, {})
    tooLarge(variable.value, `constant ${key}`, {})
  }
  for (const [key, constant] of Object.entries(tree.constants ?? {})) {
    if (constant.source_type === 'component_outputs') continue
    report(valueReferences(constant.value), `constant ${key}`, {})
    tooLarge(constant.value, `constant ${key}`, {})
  }

  for (const activity of recordValues(tree.activities)) {
    if (activity.type === 'SubProcess') {
      for (const [key, param] of Object.entries(activity.params ?? {})) {
        const value = isVariable(param) ? (param.type === 'plain' ? undefined : param.value) : param
        report(valueReferences(value), `parameter ${key} of subprocess "${activity.id}"`, {
          nodeId: activity.id,
        })
        tooLarge(value, `parameter ${key} of subprocess "${activity.id}"`, { nodeId: activity.id })
      }
      continue
    }
    for (const [key, input] of Object.entries(activity.component.inputs ?? {})) {
      if (input.type === 'plain' || input.need_render === false) continue
      report(valueReferences(input.value), `input "${key}" of activity "${activity.id}"`, {
        nodeId: activity.id,
      })
      tooLarge(input.value, `input "${key}" of activity "${activity.id}"`, { nodeId: activity.id })
    }
    for (const [key, input] of Object.entries(activity.component.data ?? {})) {
      report(valueReferences(input.value), `input "${key}" of activity "${activity.id}"`, {
        nodeId: activity.id,
      })
      tooLarge(input.value, `input "${key}" of activity "${activity.id}"`, { nodeId: activity.id })
    }
  }

  for (const gateway of recordValues(tree.gateways ?? {})) {
    if (gateway.type !== 'ExclusiveGateway' && gateway.type !== 'ConditionalParallelGateway')
      continue
    for (const [flowId, condition] of Object.entries(gateway.conditions ?? {})) {
      report(templateReferences(condition.evaluate), `the condition of flow "${flowId}"`, {
        nodeId: gateway.id,
        flowId,
      })
      const problem = expressionSizeProblem(condition.evaluate)
      if (problem) {
        problems.add(
          'TreeInvalidException',
          'EXPRESSION_TOO_LARGE',
          `the condition of flow "${flowId}": ${problem}`,
          { nodeId: gateway.id, flowId },
        )
      }
    }
  }
}

function isVariable(value: unknown): value is { type: string; value: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'type' in value &&
    'value' in value &&
    ['plain', 'splice', 'lazy'].includes(String((value as { type: unknown }).type))
  )
}
