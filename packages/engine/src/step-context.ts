import { bareKey, formatKey } from '@culm/expr'
import type { AfterCommit } from './component-calls.js'
import { renderInputs } from './context.js'
import type { Core } from './engine-core.js'
import type { ComponentCallInput, ComponentCallResult } from './ports/components.js'
import type {
  ContextValue,
  DataRecord,
  NodeRecord,
  ProcessRecord,
  ScheduleRecord,
  StateRecord,
} from './ports/records.js'
import type { Runtime } from './ports/runtime.js'

/** What one step of a process at one node works with. */
export interface StepContext {
  readonly core: Core
  /** The step's transaction. */
  readonly tx: Runtime
  /** Work to run once the step's transaction has committed. */
  readonly after: AfterCommit
  readonly process: ProcessRecord
  readonly node: NodeRecord
  /** The node's state as the step made it (RUNNING). */
  readonly state: StateRecord
  /**
   * The node was RUNNING already: a step committed it while its component ran (the answer is
   * held), or the worker of that step stopped (the component runs again).
   */
  readonly resumed: boolean
  /** The step is the first of its transaction (nothing before it is waiting to be committed). */
  readonly firstInGroup: boolean
}

/**
 * Where a process goes after a step: on to a node, nowhere for now, to a poll due at once, or
 * (`yield`) to the same node in a transaction of its own, once what came before is committed.
 */
export type StepOutcome = { next: string } | { stop: true } | { poll: string } | { yield: string }

/**
 * Whether a step must commit before it calls a component: its transaction holds the database
 * (and steps before it are waiting to be committed), and no component runs while it does.
 */
export function mustCommitBeforeCall(ctx: StepContext): boolean {
  return !ctx.firstInGroup && ctx.tx.holdsTransaction?.() === true
}
export const STOP: StepOutcome = { stop: true }

/** A node kind's step. */
export type NodeHandler = (ctx: StepContext) => Promise<StepOutcome>

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * A node's context as its inputs see it: where the node's `_loop` / `_inner_loop` outputs go
 * (a `${key}` fed by them), the new values are there already, so that constants derived from
 * those keys use this loop's count, as in the Python engine.
 */
export function preExtract(
  context: Record<string, ContextValue>,
  data: DataRecord | undefined,
  system: { _loop: number; _inner_loop: number },
): Record<string, ContextValue> {
  for (const key of ['_loop', '_inner_loop'] as const) {
    for (const contextKey of data?.outputs[key] ?? [])
      context[formatKey(bareKey(contextKey))] = { type: 'plain', value: system[key] }
  }
  return context
}

/** What the execute call of a node's component receives. */
export function executeInput(
  node: NodeRecord,
  state: StateRecord,
  inputs: Record<string, unknown>,
  parentData: Record<string, unknown>,
): ComponentCallInput {
  return {
    inputs,
    outputs: {},
    parentData,
    scheduleTimes: 0,
    nodeId: node.id,
    version: state.version,
    rootPipelineId: node.rootPipelineId,
    loop: state.loop,
    innerLoop: state.innerLoop,
  }
}

/** A node's `_loop` and `_inner_loop`, as its inputs and outputs carry them. */
export function systemValues(state: StateRecord): { _loop: number; _inner_loop: number } {
  return { _loop: state.loop, _inner_loop: state.innerLoop }
}

/**
 * Renders the step's node inputs (a subprocess's params) from its pipeline's context, the node's
 * own `_loop` / `_inner_loop` outputs extracted first (see `preExtract`).
 */
export async function renderNodeInputs(
  ctx: StepContext,
  data: DataRecord | undefined,
): Promise<Record<string, unknown>> {
  const { core, tx, node, state } = ctx
  const system = systemValues(state)
  const context = preExtract(await tx.getContext(node.pipelineId), data, system)
  const pipeline = await core.pipeline(tx, node.rootPipelineId)
  return renderInputs(data?.inputs ?? {}, context, core.lazyFor(pipeline, state.innerLoop), system)
}

/**
 * The outputs a component's answer leaves on its node: what it set, `_result`, `_loop`,
 * `_inner_loop`, and for a failure its error as `ex_data` unless it set one.
 */
export function answerOutputs(
  result: ComponentCallResult,
  state: StateRecord,
): Record<string, unknown> {
  const outputs: Record<string, unknown> = {
    ...result.outputs,
    _result: result.success,
    ...systemValues(state),
  }
  if (!result.success && outputs.ex_data === undefined && result.error)
    outputs.ex_data = result.error
  return outputs
}

/** Fails the step's node with `ex_data`; its process sleeps there. */
export async function failNode(
  ctx: StepContext,
  exData: string,
  inputs: Record<string, unknown> = {},
): Promise<StepOutcome> {
  const { core, tx, process, node, state } = ctx
  await tx.setExecutionData(node.id, { inputs, outputs: { ex_data: exData } })
  await tx.updateProcess(process.id, { asleep: true })
  await core.setState(tx, node.id, 'FAILED', { version: state.version, current: state })
  return STOP
}

/**
 * Whether a node is still RUNNING at the version its component was called with; if not (it was
 * force-failed, timed out or retried meanwhile) the component's answer is discarded.
 */
export async function stillRunning(
  core: Core,
  tx: Runtime,
  nodeId: string,
  state: StateRecord,
  phase: 'execute' | 'schedule',
): Promise<boolean> {
  const now = await tx.getState(nodeId)
  if (now && now.version === state.version && now.name === 'RUNNING') return true
  const reason = now
    ? `node(${nodeId}) is ${now.name} at version ${now.version} since the call began`
    : `node(${nodeId}) has no state any more`
  core.calls.discardAt(nodeId, phase, state.version, reason)
  return false
}

/** Creates a schedule of a node at a version, due after `delayMs` (null: when called back). */
export async function createSchedule(
  core: Core,
  tx: Runtime,
  type: ScheduleRecord['type'],
  processId: string,
  nodeId: string,
  version: string,
  delayMs: number | null,
): Promise<ScheduleRecord> {
  const schedule: ScheduleRecord = {
    dueAt: delayMs === null ? null : core.deps.clock.now() + delayMs,
    id: core.deps.ids.next('schedule'),
    type,
    processId,
    nodeId,
    version,
    finished: false,
    expired: false,
    scheduling: false,
    times: 0,
  }
  await tx.createSchedule(schedule)
  return schedule
}
