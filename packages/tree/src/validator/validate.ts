import type { Problem, ProblemCode } from '../errors.js'
import { buildGraph, type Graph, recordKeys, recordValues, withRecordCache } from '../graph.js'
import { pipelineTreeSchema } from '../schema.js'
import type { ConditionalGateway, ParallelGatewayNode, PipelineTree } from '../types.js'
import { isWellFormed } from '../well-formed.js'
import { checkConnections } from './connection.js'
import { matchGateways } from './gateways.js'
import { findCycles, orderFromStart } from './order.js'
import { ProblemList } from './problems.js'
import {
  type ComponentLookup,
  checkComponents,
  checkConditions,
  checkReferences,
  declaredKeys,
  SYSTEM_VARIABLES,
} from './semantics.js'
import { checkStreams } from './streams.js'
import { checkStructure, checkUniqueIds } from './structure.js'

/** How to validate a tree. */
export interface ValidateOptions {
  /** Allow loops (back edges), as `run_pipeline(cycle_tolerate=True)`. */
  cycleTolerate?: boolean
  /** When given, every component code (and version) must be known to it. */
  components?: ComponentLookup
  /** End-event types of executable end events, accepted like `EmptyEndEvent`. */
  sinkTypes?: Iterable<string>
  /** Context keys provided at run time (root pipeline context, subprocess context presets). */
  knownVariables?: Iterable<string>
  /**
   * Refuse a `${key}` that names no constant. By default it is a warning, as the Python engine
   * renders such a reference as its literal text.
   */
  strictReferences?: boolean
}

/** The outcome of `validateTree`: every problem, and the tree with its gateways matched. */
export interface ValidationResult {
  valid: boolean
  problems: Problem[]
  /**
   * The tree with `converge_gateway_id` written into every matched gateway. The tree object, its
   * `gateways` record, every gateway and every subprocess (with its tree and the `activities`
   * record holding it) are new objects; everything else is shared with the input, which is never
   * written to. When the input is not a tree at all, the input itself.
   */
  tree: PipelineTree
}

/** What every (sub)pipeline of one validation run is checked with. */
export interface ValidationContext {
  options: ValidateOptions
  sinkTypes: ReadonlySet<string>
  runtimeKeys: readonly string[]
}

/**
 * Validates a pipeline tree of either dialect against every rule of the Python engine's
 * validator and Culm's own checks, and reports all problems instead of the first one.
 * Never throws, whatever the input.
 * @example
 * const { valid, problems, tree: checked } = validateTree(tree, { cycleTolerate: false })
 * if (!valid) for (const p of problems) console.log(p.kind, p.code, p.message)
 */
export function validateTree(input: unknown, options: ValidateOptions = {}): ValidationResult {
  return runValidation(input, options).result
}

const TOO_DEEP = 'the tree is nested too deeply to be validated (subprocesses or gateways)'

/** Problems that make a tree unreadable, as opposed to a readable tree that would not run. */
const UNREADABLE: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'NOT_AN_OBJECT',
  'SCHEMA',
  'DUPLICATE_ID',
  'KEY_MISMATCH',
  'UNKNOWN_NODE_TYPE',
  'FLOW_SOURCE_MISSING',
  'FLOW_TARGET_MISSING',
  'FLOW_MISSING',
  'FLOW_NOT_LINKED',
  'SUBPROCESS_ID_MISMATCH',
  'TREE_TOO_DEEP',
])

/**
 * The problems that make the input unreadable as a tree: not a JSON object of the tree's shape,
 * or parts that do not agree (ids, keys, flows). A readable tree may still break rules that
 * `run_pipeline` checks. Never throws, whatever the input; empty when the tree can be read.
 * @example
 * const problems = checkTreeReadable(body.pipeline)
 * if (problems.length > 0) return refuse(problems[0].message)
 */
export function checkTreeReadable(input: unknown): Problem[] {
  return runValidation(input).result.problems.filter((problem) => UNREADABLE.has(problem.code))
}

/** Adds the problems of the input's shape; answers whether there were none. */
function addShapeProblems(input: unknown, problems: ProblemList): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.add('TreeInvalidException', 'NOT_AN_OBJECT', 'a pipeline tree must be a JSON object')
    return false
  }
  try {
    if (isWellFormed(input)) return true
    const parsed = pipelineTreeSchema.safeParse(input)
    if (parsed.success) return true
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.')
      problems.add('TreeInvalidException', 'SCHEMA', `${path || 'tree'}: ${issue.message}`, {
        path,
      })
    }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    problems.add('TreeInvalidException', 'TREE_TOO_DEEP', TOO_DEEP)
  }
  return false
}

/** `validateTree`, also answering the root pipeline's graph and streams. */
export function runValidation(
  input: unknown,
  options: ValidateOptions = {},
): { result: ValidationResult; root: PipelineCheck } {
  return withRecordCache(() => validateInput(input, options))
}

function validateInput(
  input: unknown,
  options: ValidateOptions,
): { result: ValidationResult; root: PipelineCheck } {
  const problems = new ProblemList()
  const invalid = () => ({
    result: { valid: false, problems: problems.items, tree: input as PipelineTree },
    root: {},
  })
  if (!addShapeProblems(input, problems)) return invalid()
  try {
    const tree = ownedCopy(input as PipelineTree)
    const context: ValidationContext = {
      options,
      sinkTypes: new Set(options.sinkTypes ?? []),
      runtimeKeys: [...SYSTEM_VARIABLES, ...(options.knownVariables ?? [])],
    }
    checkUniqueIds(tree, problems)
    const root = validatePipeline(tree, problems, context, [])
    const valid = problems.items.every((problem) => problem.severity === 'warning')
    return { result: { valid, problems: problems.items, tree }, root }
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    problems.add('TreeInvalidException', 'TREE_TOO_DEEP', TOO_DEEP)
    return invalid()
  }
}

/**
 * A copy of the parts of a tree the validator writes to (gateways) and of the path to them
 * (tree, gateways record, subprocesses and the activities record that holds them); the rest is
 * shared, which keeps validation cheap. A tree without subprocesses shares its activities record.
 */
function ownedCopy(tree: PipelineTree): PipelineTree {
  const gateways: PipelineTree['gateways'] = {}
  const source = tree.gateways ?? {}
  for (const id of recordKeys(source)) gateways[id] = { ...source[id]! }
  const ids = recordKeys(tree.activities)
  if (!ids.some((id) => tree.activities[id]!.type === 'SubProcess')) {
    return { ...tree, gateways }
  }
  const activities: PipelineTree['activities'] = {}
  for (const id of ids) {
    const activity = tree.activities[id]!
    activities[id] =
      activity.type === 'SubProcess'
        ? { ...activity, pipeline: ownedCopy(activity.pipeline) }
        : activity
  }
  return { ...tree, activities, gateways }
}

/** The outcome of checking one (sub)pipeline: its graph and each node's stream, when it got that far. */
export interface PipelineCheck {
  graph?: Graph
  /** Each node's streams, by its position in `graph.list`. */
  streams?: Array<Set<string>>
}

/** Validates one (sub)pipeline tree, its subprocesses first, as the Python engine does. */
export function validatePipeline(
  tree: PipelineTree,
  problems: ProblemList,
  context: ValidationContext,
  extraKeys: readonly string[],
): PipelineCheck {
  for (const activity of recordValues(tree.activities)) {
    if (activity.type !== 'SubProcess') continue
    const paramKeys = Object.keys(activity.params ?? {}).map((key) =>
      key.startsWith('${') && key.endsWith('}') ? key.slice(2, -1) : key,
    )
    validatePipeline(activity.pipeline, problems.forSubprocess(activity.id), context, paramKeys)
  }

  if (!checkStructure(tree, problems)) return {}
  const graph = buildGraph(tree)
  const before = problems.count
  checkConnections(graph, problems, context.sinkTypes)
  const connected = problems.count === before
  checkConditions(graph, problems)
  if (context.options.components) checkComponents(tree, context.options.components, problems)
  checkReferences(
    tree,
    new Set([...declaredKeys(tree), ...context.runtimeKeys, ...extraKeys]),
    problems,
    context.options.strictReferences === true,
  )

  const order = orderFromStart(graph)
  const allReachable = order.reachable.size === graph.list.length
  for (const node of allReachable ? [] : graph.list) {
    if (order.reachable.has(node.id)) continue
    if (node.category === 'gateway') {
      problems.add(
        'ConvergeMatchError',
        'GATEWAY_UNREACHABLE',
        `cannot get the distance of gateway "${node.id}" from the start event: it cannot be reached`,
        { nodeId: node.id },
      )
    } else {
      problems.add(
        'StreamValidateError',
        'UNREACHABLE_NODE',
        `node "${node.id}" cannot be reached from the start event`,
        { nodeId: node.id },
      )
    }
  }

  let acyclic = true
  // A walk from the start that meets no loop flow proves the reachable nodes acyclic.
  const mayLoop = order.loopFlows > 0 || order.reachable.size < graph.nodes.size
  if (!context.options.cycleTolerate && mayLoop) {
    for (const cycle of findCycles(graph)) {
      acyclic = false
      problems.add(
        'TreeInvalidException',
        'CYCLE',
        `pipeline graph has circle: ${cycle.join(' -> ')}`,
        { nodeId: cycle[0]! },
      )
    }
  }
  if (!connected || !acyclic) return { graph }

  const beforeGateways = problems.count
  const matches = matchGateways(graph, order, problems)
  for (const [gatewayId, convergeId] of matches) {
    const gateway = tree.gateways[gatewayId] as ParallelGatewayNode | ConditionalGateway
    gateway.converge_gateway_id = convergeId
  }
  if (problems.count !== beforeGateways) return { graph }
  const unmatched = graph.list.some(
    (node) =>
      (node.type === 'ParallelGateway' || node.type === 'ConditionalParallelGateway') &&
      order.reachable.has(node.id) &&
      !matches.has(node.id),
  )
  if (unmatched) return { graph }
  return { graph, streams: checkStreams(graph, matches, order.reachable, problems) }
}
