import type { EngineAPIResult, StateTreeEntry } from '@culm/engine'
import {
  buildTree,
  Data,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  SubProcess,
  Var,
} from '@culm/tree'
import { expect } from 'vitest'
import type { Harness, Scenario } from '../harness.js'
import { act, exclusive, failingThenReading, parallel, sequence, withSubprocess } from '../trees.js'

type History = Record<string, unknown>
type ExecutionTime = {
  state: string
  start_time: Date
  archived_time: Date | null
  execution_time: number
}

const STATE_KEYS = [
  'id',
  'state',
  'root_id',
  'root_id:',
  'parent_id',
  'version',
  'loop',
  'retry',
  'skip',
  'error_ignorable',
  'error_ignored',
  'created_time',
  'started_time',
  'archived_time',
  'children',
].sort()

const SHORT_HISTORY_KEYS = [
  'id',
  'node_id',
  'started_time',
  'archived_time',
  'loop',
  'skip',
  'version',
].sort()
const HISTORY_KEYS = [...SHORT_HISTORY_KEYS, 'retry', 'inputs', 'outputs'].sort()

/** The whole state tree of a root, as `getPipelineStates` answers it. */
async function stateTree(h: Harness, rootId: string): Promise<Record<string, StateTreeEntry>> {
  return h.ok(await h.engine.api.getPipelineStates({ rootId }))
}

/** The state of a node that must have one. */
async function stateOf(h: Harness, nodeId: string): Promise<StateTreeEntry> {
  const state = await h.state(nodeId)
  expect(state, `state of ${nodeId}`).toBeDefined()
  return state!
}

/**
 * Asserts an API call is refused with `message` (exact Python wording when a string) and that it
 * changed nothing: the state tree of `rootId` is identical and no component ran afterwards.
 */
async function expectRefused(
  h: Harness,
  rootId: string,
  call: () => Promise<EngineAPIResult<unknown>>,
  message: string | RegExp,
): Promise<void> {
  await h.settle()
  const before = await stateTree(h, rootId)
  const calls = h.calls.length
  const answer = await call()
  expect(answer.result).toBe(false)
  if (typeof message === 'string') expect(answer.message).toBe(message)
  else expect(answer.message).toMatch(message)
  expect(answer.exc).toBeInstanceOf(Error)
  expect(answer.data ?? null).toBeNull()
  await h.settle()
  expect(await stateTree(h, rootId)).toEqual(before)
  expect(h.calls.length).toBe(calls)
}

/** The id of the flow from `source` to `target`. */
function flowBetween(tree: EngineTree, source: string, target: string): string {
  const flow = Object.values(tree.flows).find((f) => f.source === source && f.target === target)
  expect(flow, `flow ${source} -> ${target}`).toBeDefined()
  return flow!.id
}

/** How many times a node's component ran. */
function callsOf(h: Harness, nodeId: string): number {
  return h.calls.filter((c) => c.nodeId === nodeId).length
}

/** start -> subprocess(params ${p} = `${boom}`, inner debug_node echo=${p}) -> end, `${boom}` a raising lazy variable. */
function failingSubprocessTree() {
  const innerStart = new EmptyStartEvent()
  const inner = act('debug_node', { echo: '${p}' })
  innerStart.extend(inner).extend(new EmptyEndEvent())
  const sub = new SubProcess({
    start: innerStart,
    data: new Data({ inputs: { '${p}': new Var({ type: 'plain', value: 'default' }) } }),
    params: { '${p}': new Var({ type: 'splice', value: '${boom}' }) },
  })
  const start = new EmptyStartEvent()
  start.extend(sub).extend(new EmptyEndEvent())
  const tree = buildTree(start)
  tree.data.inputs['${boom}'] = { type: 'lazy', value: 'x', custom_type: 'raise_variable' }
  return { tree, sub, inner }
}

/** Every Engine API function: its effect when allowed, its Python refusal when not. */
export const apiScenarios: Record<string, Scenario> = {
  // ---- runPipeline ------------------------------------------------------------------------

  'runPipeline answers the tree id as pipeline_id and runs the tree to FINISHED': async (h) => {
    const first = act('debug_node', { a: 1 })
    const tree = sequence(first)
    const answer = await h.engine.api.runPipeline({ pipeline: tree })
    expect(answer).toMatchObject({
      result: true,
      message: 'success',
      data: { pipeline_id: tree.id },
    })
    await h.settle()
    const states = await h.states(tree.id)
    expect(states[tree.id]).toBe('FINISHED')
    expect(states[first.id]).toBe('FINISHED')
  },

  'runPipeline refuses a tree whose id already runs and leaves the running one untouched': async (
    h,
  ) => {
    const waiting = act('callback_node')
    const tree = sequence(waiting)
    const id = await h.run(tree, { keepIds: true })
    await expectRefused(h, id, () => h.engine.api.runPipeline({ pipeline: tree }), /already/)
    expect(h.calls.filter((c) => c.nodeId === waiting.id)).toHaveLength(1)
  },

  // ---- pausePipeline / resumePipeline -----------------------------------------------------

  'pausePipeline lets a running sleep_timer finish but starts no further node until resumePipeline':
    async (h) => {
      const timer = act('sleep_timer', { bk_timing: 3 })
      const after = act('debug_node')
      const id = await h.run(sequence(timer, after), { keepIds: true })
      await h.advance(1)
      h.ok(await h.engine.api.pausePipeline({ pipelineId: id }))
      expect((await h.states(id))[id]).toBe('SUSPENDED')
      await h.advance(5)
      const paused = await h.states(id)
      expect(paused[id]).toBe('SUSPENDED')
      expect(paused[timer.id]).toBe('FINISHED')
      expect(paused[after.id]).toBeUndefined()
      expect(callsOf(h, after.id)).toBe(0)
      h.ok(await h.engine.api.resumePipeline({ pipelineId: id }))
      await h.settle()
      const resumed = await h.states(id)
      expect(resumed[after.id]).toBe('FINISHED')
      expect(resumed[id]).toBe('FINISHED')
    },

  'pausePipeline refuses a FINISHED pipeline, a SUSPENDED one and an unknown id': async (h) => {
    const id = await h.run(sequence(act('debug_node')))
    await expectRefused(
      h,
      id,
      () => h.engine.api.pausePipeline({ pipelineId: id }),
      `can't not transit node(${id}) state from FINISHED to SUSPENDED`,
    )
    const timer = act('sleep_timer', { bk_timing: 5 })
    const running = await h.run(sequence(timer), { keepIds: true })
    h.ok(await h.engine.api.pausePipeline({ pipelineId: running }))
    await expectRefused(
      h,
      running,
      () => h.engine.api.pausePipeline({ pipelineId: running }),
      `can't not transit node(${running}) state from SUSPENDED to SUSPENDED`,
    )
    await expectRefused(
      h,
      running,
      () => h.engine.api.pausePipeline({ pipelineId: 'pnotthere' }),
      'node(pnotthere) does not exist',
    )
  },

  'resumePipeline refuses a RUNNING pipeline with its state': async (h) => {
    const id = await h.run(sequence(act('callback_node')))
    await expectRefused(
      h,
      id,
      () => h.engine.api.resumePipeline({ pipelineId: id }),
      `pipeline(${id}) state is: RUNNING`,
    )
  },

  'resumePipeline refuses a FINISHED pipeline with its state': async (h) => {
    const id = await h.run(sequence(act('debug_node')))
    await expectRefused(
      h,
      id,
      () => h.engine.api.resumePipeline({ pipelineId: id }),
      `pipeline(${id}) state is: FINISHED`,
    )
  },

  // ---- revokePipeline ---------------------------------------------------------------------

  'revokePipeline makes the pipeline REVOKED: further control calls are refused and nothing runs':
    async (h) => {
      const waiting = act('callback_node')
      const after = act('debug_node')
      const id = await h.run(sequence(waiting, after), { keepIds: true })
      const version = (await stateOf(h, waiting.id)).version
      h.ok(await h.engine.api.revokePipeline({ pipelineId: id }))
      expect((await h.states(id))[id]).toBe('REVOKED')
      const calls = h.calls.length
      await h.advance(10)
      expect(h.calls.length).toBe(calls)
      await expectRefused(
        h,
        id,
        () => h.engine.api.pausePipeline({ pipelineId: id }),
        `can't not transit node(${id}) state from REVOKED to SUSPENDED`,
      )
      await expectRefused(
        h,
        id,
        () => h.engine.api.resumePipeline({ pipelineId: id }),
        `pipeline(${id}) state is: REVOKED`,
      )
      await expectRefused(
        h,
        id,
        () => h.engine.api.revokePipeline({ pipelineId: id }),
        `can't not transit node(${id}) state from REVOKED to REVOKED`,
      )
      await expectRefused(
        h,
        id,
        () => h.engine.api.retryNode({ nodeId: waiting.id }),
        `${waiting.id} state is not FAILED, actual RUNNING`,
      )
      // Python may still take the late callback (the node may finish), but nothing after it runs.
      await h.engine.api.callback({ nodeId: waiting.id, version, data: {} })
      await h.settle()
      await h.advance(3)
      const states = await h.states(id)
      expect(states[id]).toBe('REVOKED')
      expect(states[after.id]).toBeUndefined()
      expect(callsOf(h, after.id)).toBe(0)
    },

  'revokePipeline refuses a FINISHED pipeline and an unknown id': async (h) => {
    const id = await h.run(sequence(act('debug_node')))
    await expectRefused(
      h,
      id,
      () => h.engine.api.revokePipeline({ pipelineId: id }),
      `can't not transit node(${id}) state from FINISHED to REVOKED`,
    )
    await expectRefused(
      h,
      id,
      () => h.engine.api.revokePipeline({ pipelineId: 'pnotthere' }),
      'node(pnotthere) does not exist',
    )
  },

  // ---- pauseNodeAppoint / resumeNodeAppoint -----------------------------------------------

  'pauseNodeAppoint on a node not yet reached stops the process there; resumeNodeAppoint continues to FINISHED':
    async (h) => {
      const timer = act('sleep_timer', { bk_timing: 2 })
      const target = act('debug_node', { a: 1 })
      const last = act('debug_node')
      const id = await h.run(sequence(timer, target, last), { keepIds: true })
      h.ok(await h.engine.api.pauseNodeAppoint({ nodeId: target.id }))
      expect((await stateOf(h, target.id)).state).toBe('SUSPENDED')
      await h.advance(4)
      const paused = await h.states(id)
      expect(paused[timer.id]).toBe('FINISHED')
      expect(paused[target.id]).toBe('SUSPENDED')
      expect(paused[last.id]).toBeUndefined()
      expect(paused[id]).toBe('RUNNING')
      expect(callsOf(h, target.id)).toBe(0)
      const suspended = await stateOf(h, target.id)
      expect(suspended.root_id).toBe(id)
      expect(suspended.parent_id).toBe(id)
      h.ok(await h.engine.api.resumeNodeAppoint({ nodeId: target.id }))
      await h.settle()
      const resumed = await h.states(id)
      expect(resumed[target.id]).toBe('FINISHED')
      expect(resumed[last.id]).toBe('FINISHED')
      expect(resumed[id]).toBe('FINISHED')
      expect(await h.outputs(target.id)).toMatchObject({ a: 1, _result: true })
    },

  'pauseNodeAppoint refuses a SubProcess and a FINISHED node': async (h) => {
    const { tree, sub, inner } = withSubprocess('x')
    const id = await h.run(tree, { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.pauseNodeAppoint({ nodeId: sub.id }),
      'can not use pause_node_appoint api for SubProcess',
    )
    await expectRefused(
      h,
      id,
      () => h.engine.api.pauseNodeAppoint({ nodeId: inner.id }),
      `can't not transit node(${inner.id}) state from FINISHED to SUSPENDED`,
    )
  },

  'resumeNodeAppoint refuses a FINISHED node with the transition error': async (h) => {
    const done = act('debug_node')
    const id = await h.run(sequence(done), { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.resumeNodeAppoint({ nodeId: done.id }),
      `can't not transit node(${done.id}) state from FINISHED to READY`,
    )
  },

  'resumeNodeAppoint refuses a SubProcess with the Python message (which names pause_node_appoint)':
    async (h) => {
      const { tree, sub } = withSubprocess('x')
      const id = await h.run(tree, { keepIds: true })
      await expectRefused(
        h,
        id,
        () => h.engine.api.resumeNodeAppoint({ nodeId: sub.id }),
        'can not use pause_node_appoint api for SubProcess',
      )
    },

  // ---- retryNode --------------------------------------------------------------------------

  'retryNode with data replaces the inputs: fail_ctrl_node bit 0 retried with bit 1 finishes, the failed run is archived':
    async (h) => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      const after = act('debug_node')
      const id = await h.run(sequence(failing, after), { keepIds: true })
      const failed = await stateOf(h, failing.id)
      expect(failed.state).toBe('FAILED')
      expect(failed.retry).toBe(0)
      expect((await h.states(id))[id]).toBe('RUNNING')
      const before = h.ok(await h.engine.api.getData({ nodeId: failing.id })) as {
        inputs: Record<string, { value: unknown }>
      }
      expect(before.inputs.bit?.value).toBe(0)

      h.ok(await h.engine.api.retryNode({ nodeId: failing.id, data: { bit: 1 } }))
      await h.settle()

      const retried = await stateOf(h, failing.id)
      expect(retried.state).toBe('FINISHED')
      expect(retried.retry).toBe(1)
      expect(retried.version).not.toBe(failed.version)
      expect(h.ok(await h.engine.api.getData({ nodeId: failing.id }))).toEqual({
        inputs: { bit: { need_render: true, value: 1 } },
        outputs: {},
      })
      expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: failing.id }))).toEqual({
        bit: 1,
        _loop: 1,
        _inner_loop: 1,
      })
      expect(await h.outputs(failing.id)).toMatchObject({ _result: true })
      const histories = h.ok(
        await h.engine.api.getNodeHistories({ nodeId: failing.id }),
      ) as History[]
      expect(histories).toHaveLength(1)
      expect(histories[0]).toMatchObject({
        node_id: failing.id,
        retry: 0,
        loop: 1,
        skip: false,
        version: failed.version,
        inputs: { bit: 0 },
        outputs: { _result: false },
      })
      const states = await h.states(id)
      expect(states[after.id]).toBe('FINISHED')
      expect(states[id]).toBe('FINISHED')
    },

  'retryNode renders the new inputs but leaves keys of _escape_render_keys as written': async (
    h,
  ) => {
    const failing = act('fail_ctrl_node', { bit: 0 })
    const tree = sequence(failing)
    tree.data.inputs['${one}'] = { type: 'plain', value: 1 }
    const id = await h.run(tree, { keepIds: true })
    h.ok(
      await h.engine.api.retryNode({
        nodeId: failing.id,
        data: { bit: '${one}', note: '${one}', _escape_render_keys: ['note'] },
      }),
    )
    await h.settle()
    expect((await h.states(id))[id]).toBe('FINISHED')
    expect(h.ok(await h.engine.api.getData({ nodeId: failing.id }))).toMatchObject({
      inputs: {
        bit: { need_render: true, value: '${one}' },
        note: { need_render: false, value: '${one}' },
      },
    })
    expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: failing.id }))).toMatchObject({
      bit: 1,
      note: '${one}',
    })
  },

  'retryNode refuses a node with retryable false: can not retry node(X) with can_retry(False)':
    async (h) => {
      const failing = act('fail_ctrl_node', { bit: 0 }, { retryable: false })
      const id = await h.run(sequence(failing), { keepIds: true })
      expect((await stateOf(h, failing.id)).state).toBe('FAILED')
      await expectRefused(
        h,
        id,
        () => h.engine.api.retryNode({ nodeId: failing.id, data: { bit: 1 } }),
        `can not retry node(${failing.id}) with can_retry(False)`,
      )
      expect(h.ok(await h.engine.api.getData({ nodeId: failing.id }))).toMatchObject({
        inputs: { bit: { value: 0 } },
      })
    },

  'retryNode refuses a RUNNING node: X state is not FAILED, actual RUNNING': async (h) => {
    const waiting = act('callback_node')
    const id = await h.run(sequence(waiting), { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.retryNode({ nodeId: waiting.id }),
      `${waiting.id} state is not FAILED, actual RUNNING`,
    )
  },

  'retryNode refuses an unknown node: node(X) does not exist': async (h) => {
    const id = await h.run(sequence(act('fail_ctrl_node', { bit: 0 })))
    await expectRefused(
      h,
      id,
      () => h.engine.api.retryNode({ nodeId: 'nnotthere' }),
      'node(nnotthere) does not exist',
    )
  },

  // ---- retrySubprocess --------------------------------------------------------------------

  'retrySubprocess re-enters a SubProcess whose parameters failed to render once the context is fixed':
    async (h) => {
      const { tree, sub, inner } = failingSubprocessTree()
      const id = await h.run(tree, { keepIds: true })
      const failed = await stateOf(h, sub.id)
      expect(failed.state).toBe('FAILED')
      expect((await h.states(id))[id]).toBe('RUNNING')
      expect(String((await h.outputs(sub.id)).ex_data)).toMatch(/raise_variable always raises/)
      expect((await h.states(id))[inner.id]).toBeUndefined()

      h.ok(
        await h.engine.api.updateContextValues({
          pipelineId: id,
          contextValues: { '${boom}': 'fixed' },
        }),
      )
      h.ok(await h.engine.api.retrySubprocess({ nodeId: sub.id }))
      await h.settle()

      const retried = await stateOf(h, sub.id)
      expect(retried.state).toBe('FINISHED')
      expect(retried.retry).toBe(1)
      expect(retried.version).not.toBe(failed.version)
      expect(await h.outputs(inner.id)).toMatchObject({ echo: 'fixed' })
      expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: sub.id }))).toHaveLength(1)
      expect((await h.states(id))[id]).toBe('FINISHED')
    },

  'retrySubprocess refuses a ServiceActivity and a FINISHED SubProcess': async (h) => {
    const { tree, sub, inner } = withSubprocess('x')
    const id = await h.run(tree, { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.retrySubprocess({ nodeId: inner.id }),
      `node(${inner.id}) type is not SubProcess`,
    )
    await expectRefused(
      h,
      id,
      () => h.engine.api.retrySubprocess({ nodeId: sub.id }),
      `${sub.id} state is not FAILED, actual FINISHED`,
    )
  },

  // ---- skipNode ---------------------------------------------------------------------------

  'skipNode finishes a failed fail_ctrl_node with skip, does not extract its outputs, and the pipeline continues':
    async (h) => {
      const { tree, failing, after } = failingThenReading()
      const id = await h.run(tree, { keepIds: true })
      const failed = await stateOf(h, failing.id)
      expect(failed.state).toBe('FAILED')
      // The failure already copied `_result` into ${r}; an operator then sets it by hand.
      h.ok(
        await h.engine.api.updateContextValues({
          pipelineId: id,
          contextValues: { '${r}': 'set by operator' },
        }),
      )

      h.ok(await h.engine.api.skipNode({ nodeId: failing.id }))
      await h.settle()

      const skipped = await stateOf(h, failing.id)
      expect(skipped.state).toBe('FINISHED')
      expect(skipped.skip).toBe(true)
      expect(skipped.retry).toBe(0)
      expect(skipped.version).not.toBe(failed.version)
      expect(await h.outputs(failing.id)).toMatchObject({ _result: false })
      expect(await h.outputs(after.id)).toMatchObject({ seen: 'set by operator' })
      const histories = h.ok(
        await h.engine.api.getNodeHistories({ nodeId: failing.id }),
      ) as History[]
      expect(histories).toHaveLength(1)
      expect(histories[0]).toMatchObject({ skip: false, version: failed.version })
      expect((await h.states(id))[id]).toBe('FINISHED')
    },

  'skipNode with extractOutputs (the older engine) copies the skipped node outputs to the context':
    async (h) => {
      const { tree, failing, after } = failingThenReading()
      const id = await h.run(tree, { keepIds: true })
      h.ok(
        await h.engine.api.updateContextValues({
          pipelineId: id,
          contextValues: { '${r}': 'set by operator' },
        }),
      )
      h.ok(await h.engine.api.skipNode({ nodeId: failing.id, extractOutputs: true }))
      await h.settle()
      expect(await stateOf(h, failing.id)).toMatchObject({ state: 'FINISHED', skip: true })
      expect(await h.outputs(after.id)).toMatchObject({ seen: false })
      expect((await h.states(id))[id]).toBe('FINISHED')
    },

  'skipNode refuses a node with skippable false: can not skip this node': async (h) => {
    const failing = act('fail_ctrl_node', { bit: 0 }, { skippable: false })
    const id = await h.run(sequence(failing), { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.skipNode({ nodeId: failing.id }),
      'can not skip this node',
    )
  },

  'skipNode refuses a failed ExclusiveGateway: can not use skip_node api for ExclusiveGateway':
    async (h) => {
      const { tree, gateway } = exclusive(5, ['${value} > 10', '${value} < 0'])
      const id = await h.run(tree, { keepIds: true })
      expect((await stateOf(h, gateway.id)).state).toBe('FAILED')
      await expectRefused(
        h,
        id,
        () => h.engine.api.skipNode({ nodeId: gateway.id }),
        'can not use skip_node api for ExclusiveGateway',
      )
    },

  'skipNode refuses a RUNNING and a FINISHED activity: X state is not FAILED, actual S': async (
    h,
  ) => {
    const waiting = act('callback_node')
    const id = await h.run(sequence(waiting), { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.skipNode({ nodeId: waiting.id }),
      `${waiting.id} state is not FAILED, actual RUNNING`,
    )
    const done = act('debug_node')
    const finished = await h.run(sequence(done), { keepIds: true })
    await expectRefused(
      h,
      finished,
      () => h.engine.api.skipNode({ nodeId: done.id }),
      `${done.id} state is not FAILED, actual FINISHED`,
    )
  },

  // ---- skipExclusiveGateway ---------------------------------------------------------------

  'skipExclusiveGateway finishes a failed exclusive gateway with skip and continues on the chosen flow':
    async (h) => {
      const { tree, gateway, branches } = exclusive(5, ['${value} > 10', '${value} < 0'])
      const id = await h.run(tree, { keepIds: true })
      const failed = await stateOf(h, gateway.id)
      expect(failed.state).toBe('FAILED')
      const flowId = flowBetween(tree, gateway.id, branches[1]!.id)

      h.ok(await h.engine.api.skipExclusiveGateway({ nodeId: gateway.id, flowId }))
      await h.settle()

      const skipped = await stateOf(h, gateway.id)
      expect(skipped.state).toBe('FINISHED')
      expect(skipped.skip).toBe(true)
      expect(skipped.version).not.toBe(failed.version)
      const states = await h.states(id)
      expect(states[branches[1]!.id]).toBe('FINISHED')
      expect(states[branches[0]!.id]).toBeUndefined()
      expect(states[id]).toBe('FINISHED')
      expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: gateway.id }))).toHaveLength(1)
    },

  'skipExclusiveGateway refuses a ServiceActivity: X is not exclusive gateway, actual: ServiceActivity':
    async (h) => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      const tree = sequence(failing)
      const id = await h.run(tree, { keepIds: true })
      const flowId = Object.values(tree.flows).find((f) => f.source === failing.id)!.id
      await expectRefused(
        h,
        id,
        () => h.engine.api.skipExclusiveGateway({ nodeId: failing.id, flowId }),
        `${failing.id} is not exclusive gateway, actual: ServiceActivity`,
      )
    },

  'skipExclusiveGateway refuses a FINISHED exclusive gateway and an unknown flow': async (h) => {
    const { tree, gateway, branches } = exclusive(5, ['${value} > 3', '${value} <= 3'])
    const id = await h.run(tree, { keepIds: true })
    const flowId = flowBetween(tree, gateway.id, branches[1]!.id)
    await expectRefused(
      h,
      id,
      () => h.engine.api.skipExclusiveGateway({ nodeId: gateway.id, flowId }),
      `${gateway.id} state is not FAILED, actual FINISHED`,
    )
    const failedTree = exclusive(5, ['${value} > 10', '${value} < 0'])
    const failedId = await h.run(failedTree.tree, { keepIds: true })
    await expectRefused(
      h,
      failedId,
      () =>
        h.engine.api.skipExclusiveGateway({ nodeId: failedTree.gateway.id, flowId: 'fnotthere' }),
      /fnotthere/,
    )
  },

  // ---- skipConditionalParallelGateway -----------------------------------------------------

  'skipConditionalParallelGateway forks the chosen flows of a failed CPG to its converge and the pipeline finishes':
    async (h) => {
      const branches = [act('debug_node'), act('debug_node'), act('debug_node')]
      const { tree, gateway, converge, after } = parallel(branches, 'cpg', [
        '1 == 2',
        'False',
        '2 == 3',
      ])
      const id = await h.run(tree, { keepIds: true })
      const failed = await stateOf(h, gateway.id)
      expect(failed.state).toBe('FAILED')
      const flowIds = [
        flowBetween(tree, gateway.id, branches[0]!.id),
        flowBetween(tree, gateway.id, branches[2]!.id),
      ]

      h.ok(
        await h.engine.api.skipConditionalParallelGateway({
          nodeId: gateway.id,
          flowIds,
          convergeGatewayId: converge.id,
        }),
      )
      await h.settle()

      const skipped = await stateOf(h, gateway.id)
      expect(skipped.state).toBe('FINISHED')
      expect(skipped.skip).toBe(true)
      expect(skipped.version).not.toBe(failed.version)
      const states = await h.states(id)
      expect(states[branches[0]!.id]).toBe('FINISHED')
      expect(states[branches[1]!.id]).toBeUndefined()
      expect(states[branches[2]!.id]).toBe('FINISHED')
      expect(states[converge.id]).toBe('FINISHED')
      expect(states[after.id]).toBe('FINISHED')
      expect(states[id]).toBe('FINISHED')
      expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: gateway.id }))).toHaveLength(1)
    },

  'skipConditionalParallelGateway refuses an ExclusiveGateway: X is not conditional parallel gateway, actual: ExclusiveGateway':
    async (h) => {
      const { tree, gateway, branches } = exclusive(5, ['${value} > 10', '${value} < 0'])
      const id = await h.run(tree, { keepIds: true })
      const flowId = flowBetween(tree, gateway.id, branches[0]!.id)
      const converge = Object.values(tree.gateways).find((g) => g.type === 'ConvergeGateway')!
      await expectRefused(
        h,
        id,
        () =>
          h.engine.api.skipConditionalParallelGateway({
            nodeId: gateway.id,
            flowIds: [flowId],
            convergeGatewayId: converge.id,
          }),
        `${gateway.id} is not conditional parallel gateway, actual: ExclusiveGateway`,
      )
    },

  'skipConditionalParallelGateway refuses a FINISHED CPG: X state is not FAILED, actual FINISHED':
    async (h) => {
      const branches = [act('debug_node'), act('debug_node')]
      const { tree, gateway, converge } = parallel(branches, 'cpg', ['1 == 1', '1 == 2'])
      const id = await h.run(tree, { keepIds: true })
      await expectRefused(
        h,
        id,
        () =>
          h.engine.api.skipConditionalParallelGateway({
            nodeId: gateway.id,
            flowIds: [flowBetween(tree, gateway.id, branches[1]!.id)],
            convergeGatewayId: converge.id,
          }),
        `${gateway.id} state is not FAILED, actual FINISHED`,
      )
    },

  // ---- forcedFailActivity -----------------------------------------------------------------

  'forcedFailActivity fails a RUNNING callback_node with ex_data and _forced_failed, a new version, and refuses the late callback':
    async (h) => {
      const waiting = act('callback_node')
      const after = act('debug_node')
      const id = await h.run(sequence(waiting, after), { keepIds: true })
      const running = await stateOf(h, waiting.id)
      expect(running.state).toBe('RUNNING')

      h.ok(
        await h.engine.api.forcedFailActivity({
          nodeId: waiting.id,
          exData: 'stopped by operator',
        }),
      )
      await h.settle()

      const failed = await stateOf(h, waiting.id)
      expect(failed.state).toBe('FAILED')
      expect(failed.version).not.toBe(running.version)
      expect(failed.archived_time).toBeInstanceOf(Date)
      expect(await h.outputs(waiting.id)).toMatchObject({
        ex_data: 'stopped by operator',
        _forced_failed: true,
      })
      expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: waiting.id }))).toEqual([])
      expect((await h.states(id))[id]).toBe('RUNNING')

      await expectRefused(
        h,
        id,
        () => h.engine.api.callback({ nodeId: waiting.id, version: running.version, data: {} }),
        `node version ${running.version} not exist`,
      )
      expect((await h.states(id))[after.id]).toBeUndefined()

      // The node can be retried and then called back at its new version.
      h.ok(await h.engine.api.retryNode({ nodeId: waiting.id }))
      await h.settle()
      const again = await stateOf(h, waiting.id)
      expect(again.state).toBe('RUNNING')
      h.ok(await h.engine.api.callback({ nodeId: waiting.id, version: again.version, data: {} }))
      await h.settle()
      expect((await h.states(id))[id]).toBe('FINISHED')
    },

  'forcedFailActivity refuses a gateway: X is not activity, actual: ExclusiveGateway': async (
    h,
  ) => {
    const { tree, gateway } = exclusive(5, ['${value} > 10', '${value} < 0'])
    const id = await h.run(tree, { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.forcedFailActivity({ nodeId: gateway.id, exData: 'x' }),
      `${gateway.id} is not activity, actual: ExclusiveGateway`,
    )
  },

  'forcedFailActivity refuses a FINISHED activity: X state is not RUNNING, actual: FINISHED':
    async (h) => {
      const done = act('debug_node')
      const id = await h.run(sequence(done), { keepIds: true })
      await expectRefused(
        h,
        id,
        () => h.engine.api.forcedFailActivity({ nodeId: done.id, exData: 'x' }),
        `${done.id} state is not RUNNING, actual: FINISHED`,
      )
    },

  // ---- callback ---------------------------------------------------------------------------

  'callback finishes a callback_node with the callback data in its outputs and the pipeline continues':
    async (h) => {
      const waiting = act('callback_node')
      const after = act('debug_node')
      const id = await h.run(sequence(waiting, after), { keepIds: true })
      const running = await stateOf(h, waiting.id)
      expect(running.state).toBe('RUNNING')
      expect((await h.states(id))[after.id]).toBeUndefined()

      h.ok(
        await h.engine.api.callback({
          nodeId: waiting.id,
          version: running.version,
          data: { answer: 42 },
        }),
      )
      await h.settle()

      const finished = await stateOf(h, waiting.id)
      expect(finished.state).toBe('FINISHED')
      expect(finished.version).toBe(running.version)
      expect(await h.outputs(waiting.id)).toEqual({
        callback_data: { answer: 42 },
        _result: true,
        _loop: 1,
        _inner_loop: 1,
      })
      const states = await h.states(id)
      expect(states[after.id]).toBe('FINISHED')
      expect(states[id]).toBe('FINISHED')
    },

  'callback with bit 0 fails the callback_node and parks the pipeline RUNNING': async (h) => {
    const waiting = act('callback_node')
    const after = act('debug_node')
    const id = await h.run(sequence(waiting, after), { keepIds: true })
    const running = await stateOf(h, waiting.id)
    h.ok(
      await h.engine.api.callback({
        nodeId: waiting.id,
        version: running.version,
        data: { bit: 0 },
      }),
    )
    await h.settle()
    expect((await stateOf(h, waiting.id)).state).toBe('FAILED')
    expect(await h.outputs(waiting.id)).toMatchObject({ _result: false, callback_data: { bit: 0 } })
    const states = await h.states(id)
    expect(states[after.id]).toBeUndefined()
    expect(states[id]).toBe('RUNNING')
  },

  'callback refuses a stale version after the node was retried, then takes the current one': async (
    h,
  ) => {
    const waiting = act('callback_node')
    const id = await h.run(sequence(waiting), { keepIds: true })
    const first = await stateOf(h, waiting.id)
    h.ok(
      await h.engine.api.callback({ nodeId: waiting.id, version: first.version, data: { bit: 0 } }),
    )
    await h.settle()
    h.ok(await h.engine.api.retryNode({ nodeId: waiting.id }))
    await h.settle()
    const second = await stateOf(h, waiting.id)
    expect(second.state).toBe('RUNNING')
    expect(second.version).not.toBe(first.version)
    await expectRefused(
      h,
      id,
      () => h.engine.api.callback({ nodeId: waiting.id, version: first.version, data: {} }),
      `node version ${first.version} not exist`,
    )
    h.ok(await h.engine.api.callback({ nodeId: waiting.id, version: second.version, data: {} }))
    await h.settle()
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'callback refuses a node no process sleeps on: can not find sleep process with current node id':
    async (h) => {
      const done = act('debug_node')
      const id = await h.run(sequence(done), { keepIds: true })
      const version = (await stateOf(h, done.id)).version
      await expectRefused(
        h,
        id,
        () => h.engine.api.callback({ nodeId: done.id, version, data: {} }),
        `can not find sleep process with current node id: ${done.id}`,
      )
    },

  'callback refuses a finished schedule while the process is still parked on the node (the Python window between finish and execute)':
    async (h) => {
      const waiting = act('callback_node')
      const after = act('debug_node')
      const id = await h.run(sequence(waiting, after), { keepIds: true })
      const version = (await stateOf(h, waiting.id)).version
      h.ok(await h.engine.api.pausePipeline({ pipelineId: id }))
      h.ok(await h.engine.api.callback({ nodeId: waiting.id, version, data: {} }))
      await h.settle()
      expect((await stateOf(h, waiting.id)).state).toBe('FINISHED')
      // Put the token back to sleep on the finished node, as it is in Python until the next execute runs.
      const runtime = h.engine.runtime
      const [process] = await runtime.findProcesses({ rootPipelineId: id })
      expect(process).toBeDefined()
      await runtime.updateProcess(process!.id, {
        currentNodeId: waiting.id,
        asleep: true,
        suspended: false,
        suspendedBy: null,
      })
      await expectRefused(
        h,
        id,
        () => h.engine.api.callback({ nodeId: waiting.id, version, data: {} }),
        'schedule is already finished',
      )
    },

  'callback: multi_callback_node finishes after 5 callbacks with _scheduled_times 5': async (h) => {
    const multi = act('multi_callback_node')
    const after = act('debug_node')
    const id = await h.run(sequence(multi, after), { keepIds: true })
    const version = (await stateOf(h, multi.id)).version
    for (let i = 1; i <= 4; i++) {
      h.ok(await h.engine.api.callback({ nodeId: multi.id, version, data: { i } }))
      await h.settle()
      expect((await stateOf(h, multi.id)).state).toBe('RUNNING')
      expect((await h.outputs(multi.id))._scheduled_times).toBe(i)
    }
    h.ok(await h.engine.api.callback({ nodeId: multi.id, version, data: { i: 5 } }))
    await h.settle()
    const finished = await stateOf(h, multi.id)
    expect(finished.state).toBe('FINISHED')
    expect(finished.version).toBe(version)
    expect(await h.outputs(multi.id)).toMatchObject({ _scheduled_times: 5, _result: true })
    const states = await h.states(id)
    expect(states[after.id]).toBe('FINISHED')
    expect(states[id]).toBe('FINISHED')
  },

  // ---- getPipelineStates / getChildrenStates ----------------------------------------------

  'getPipelineStates answers exactly the Python keys with Date times, flat over subprocess nodes':
    async (h) => {
      const { tree, sub, inner, after } = withSubprocess('x')
      const id = await h.run(tree, { keepIds: true })
      const answer = await stateTree(h, id)
      expect(Object.keys(answer)).toEqual([id])
      const root = answer[id]!
      expect(Object.keys(root).sort()).toEqual(STATE_KEYS)
      expect(root).toMatchObject({
        id,
        state: 'FINISHED',
        root_id: id,
        'root_id:': id,
        parent_id: id,
        loop: 1,
        retry: 0,
        skip: false,
        error_ignorable: false,
        error_ignored: false,
      })
      expect(typeof root.version).toBe('string')
      for (const key of ['created_time', 'started_time', 'archived_time'] as const) {
        expect(root[key]).toBeInstanceOf(Date)
      }
      const children = root.children
      expect(Object.keys(children)).toEqual(
        expect.arrayContaining([sub.id, inner.id, after.id, tree.start_event.id]),
      )
      for (const child of Object.values(children)) {
        expect(Object.keys(child).sort()).toEqual(STATE_KEYS)
        expect(child.children).toEqual({})
        expect(child['root_id:']).toBe(id)
        expect(child.created_time).toBeInstanceOf(Date)
        expect(child.started_time).toBeInstanceOf(Date)
        expect(child.archived_time).toBeInstanceOf(Date)
      }
      expect(children[inner.id]!.parent_id).toBe(sub.id)
      expect(children[sub.id]!.parent_id).toBe(id)
    },

  'getPipelineStates with flatChildren false nests subprocess nodes under their subprocess': async (
    h,
  ) => {
    const { tree, sub, inner, after } = withSubprocess('x')
    const id = await h.run(tree, { keepIds: true })
    const nested = h.ok(
      await h.engine.api.getPipelineStates({ rootId: id, flatChildren: false }),
    ) as Record<string, StateTreeEntry>
    const root = nested[id]!
    expect(Object.keys(root.children)).toEqual(expect.arrayContaining([sub.id, after.id]))
    expect(root.children[inner.id]).toBeUndefined()
    expect(Object.keys(root.children[sub.id]!.children)).toContain(inner.id)
    expect(root.children[sub.id]!.children[inner.id]!.state).toBe('FINISHED')
  },

  'getPipelineStates answers {} for an unknown root': async (h) => {
    expect(await stateTree(h, 'pnotthere')).toEqual({})
  },

  'getChildrenStates answers a node with the states whose parent it is': async (h) => {
    const { tree, sub, inner, after } = withSubprocess('x')
    const id = await h.run(tree, { keepIds: true })
    const answer = h.ok(await h.engine.api.getChildrenStates({ nodeId: sub.id })) as Record<
      string,
      StateTreeEntry
    >
    expect(Object.keys(answer)).toEqual([sub.id])
    const entry = answer[sub.id]!
    expect(Object.keys(entry).sort()).toEqual(STATE_KEYS)
    expect(entry.state).toBe('FINISHED')
    expect(Object.keys(entry.children)).toContain(inner.id)
    expect(Object.keys(entry.children)).not.toContain(after.id)
    for (const child of Object.values(entry.children)) expect(child.parent_id).toBe(sub.id)
    const rootAnswer = h.ok(await h.engine.api.getChildrenStates({ nodeId: id })) as Record<
      string,
      StateTreeEntry
    >
    expect(Object.keys(rootAnswer[id]!.children)).toEqual(
      expect.arrayContaining([sub.id, after.id]),
    )
    expect(rootAnswer[id]!.children[inner.id]).toBeUndefined()
  },

  'getChildrenStates answers {} for an unknown node': async (h) => {
    expect(h.ok(await h.engine.api.getChildrenStates({ nodeId: 'nnotthere' }))).toEqual({})
  },

  // ---- execution data, data, histories ----------------------------------------------------

  'getExecutionDataInputs and getExecutionDataOutputs answer a node inputs and outputs as run':
    async (h) => {
      const node = act('debug_node', { greeting: 'hi ${name}', n: 2 })
      const tree = sequence(node)
      tree.data.inputs['${name}'] = { type: 'plain', value: 'bob' }
      await h.run(tree, { keepIds: true })
      expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: node.id }))).toEqual({
        greeting: 'hi bob',
        n: 2,
        _loop: 1,
        _inner_loop: 1,
      })
      expect(h.ok(await h.engine.api.getExecutionDataOutputs({ nodeId: node.id }))).toEqual({
        greeting: 'hi bob',
        n: 2,
        _result: true,
        _loop: 1,
        _inner_loop: 1,
      })
    },

  'getExecutionDataInputs and getExecutionDataOutputs answer {} for a node that never ran': async (
    h,
  ) => {
    const { tree, branches } = exclusive(5, ['${value} > 3', '${value} <= 3'])
    await h.run(tree, { keepIds: true })
    expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: branches[1]!.id }))).toEqual({})
    expect(h.ok(await h.engine.api.getExecutionDataOutputs({ nodeId: branches[1]!.id }))).toEqual(
      {},
    )
    expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: 'nnotthere' }))).toEqual({})
  },

  'getExecutionData answers inputs and outputs together': async (h) => {
    const node = act('debug_node', { a: 1 })
    await h.run(sequence(node), { keepIds: true })
    expect(h.ok(await h.engine.api.getExecutionData({ nodeId: node.id }))).toEqual({
      inputs: { a: 1, _loop: 1, _inner_loop: 1 },
      outputs: { a: 1, _result: true, _loop: 1, _inner_loop: 1 },
    })
  },

  'getExecutionData refuses a node that never ran': async (h) => {
    const { tree, branches } = exclusive(5, ['${value} > 3', '${value} <= 3'])
    const id = await h.run(tree, { keepIds: true })
    const never = branches[1]!.id
    await expectRefused(
      h,
      id,
      () => h.engine.api.getExecutionData({ nodeId: never }),
      new RegExp(`node\\(${never}\\) does not exist`),
    )
  },

  'getData answers the raw inputs with need_render and the output map': async (h) => {
    const node = act('debug_node', { greeting: 'hi ${name}', n: 2 })
    const tree = sequence(node)
    tree.data.inputs['${name}'] = { type: 'plain', value: 'bob' }
    tree.data.inputs['${copied}'] = {
      type: 'plain',
      value: null,
      source_act: node.id,
      source_key: 'greeting',
    }
    await h.run(tree, { keepIds: true })
    const data = h.ok(await h.engine.api.getData({ nodeId: node.id })) as {
      inputs: Record<string, { need_render: boolean; value: unknown }>
      outputs: Record<string, unknown>
    }
    expect(Object.keys(data.inputs).sort()).toEqual(['greeting', 'n'])
    expect(data.inputs.greeting).toEqual({ need_render: true, value: 'hi ${name}' })
    expect(data.inputs.n?.value).toBe(2)
    expect(data.outputs).toEqual({ greeting: '${copied}' })
  },

  'getData refuses an unknown node': async (h) => {
    const id = await h.run(sequence(act('debug_node')))
    await expectRefused(
      h,
      id,
      () => h.engine.api.getData({ nodeId: 'nnotthere' }),
      /node\(nnotthere\) does not exist/,
    )
  },

  'getNodeHistories answers each archived run with inputs, outputs and retry, filtered by loop':
    async (h) => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      await h.run(sequence(failing), { keepIds: true })
      h.ok(await h.engine.api.retryNode({ nodeId: failing.id }))
      await h.settle()
      h.ok(await h.engine.api.retryNode({ nodeId: failing.id, data: { bit: 1 } }))
      await h.settle()
      expect((await stateOf(h, failing.id)).retry).toBe(2)
      const histories = h.ok(
        await h.engine.api.getNodeHistories({ nodeId: failing.id }),
      ) as History[]
      expect(histories).toHaveLength(2)
      for (const entry of histories) {
        expect(Object.keys(entry).sort()).toEqual(HISTORY_KEYS)
        expect(entry.started_time).toBeInstanceOf(Date)
        expect(entry.archived_time).toBeInstanceOf(Date)
      }
      expect(histories.map((entry) => entry.retry)).toEqual([0, 1])
      expect(histories[0]!.id).not.toBe(histories[1]!.id)
      expect(
        h.ok(await h.engine.api.getNodeHistories({ nodeId: failing.id, loop: 1 })),
      ).toHaveLength(2)
      expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: failing.id, loop: 2 }))).toEqual([])
    },

  'getNodeHistories answers [] for a node never archived and for an unknown node': async (h) => {
    const node = act('debug_node')
    await h.run(sequence(node), { keepIds: true })
    expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: node.id }))).toEqual([])
    expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: 'nnotthere' }))).toEqual([])
  },

  'getNodeShortHistories answers the runs without inputs, outputs or retry': async (h) => {
    const failing = act('fail_ctrl_node', { bit: 0 })
    await h.run(sequence(failing), { keepIds: true })
    const failed = await stateOf(h, failing.id)
    h.ok(await h.engine.api.retryNode({ nodeId: failing.id, data: { bit: 1 } }))
    await h.settle()
    const short = h.ok(
      await h.engine.api.getNodeShortHistories({ nodeId: failing.id }),
    ) as History[]
    expect(short).toHaveLength(1)
    expect(Object.keys(short[0]!).sort()).toEqual(SHORT_HISTORY_KEYS)
    expect(short[0]).toMatchObject({
      node_id: failing.id,
      loop: 1,
      skip: false,
      version: failed.version,
    })
    const full = h.ok(await h.engine.api.getNodeHistories({ nodeId: failing.id })) as History[]
    expect(short[0]!.id).toBe(full[0]!.id)
  },

  'getNodeShortHistories answers [] for an unknown node and for a loop that never ran': async (
    h,
  ) => {
    const failing = act('fail_ctrl_node', { bit: 0 })
    await h.run(sequence(failing), { keepIds: true })
    h.ok(await h.engine.api.retryNode({ nodeId: failing.id, data: { bit: 1 } }))
    await h.settle()
    expect(h.ok(await h.engine.api.getNodeShortHistories({ nodeId: failing.id, loop: 3 }))).toEqual(
      [],
    )
    expect(h.ok(await h.engine.api.getNodeShortHistories({ nodeId: 'nnotthere' }))).toEqual([])
  },

  // ---- previewNodeInputs ------------------------------------------------------------------

  'previewNodeInputs renders an activity inputs from a tree without running it': async (h) => {
    const node = act('debug_node', { greeting: 'hi ${name}', shout: '${loud}', n: 1 })
    const tree = sequence(node)
    tree.data.inputs['${name}'] = { type: 'plain', value: 'bob' }
    tree.data.inputs['${loud}'] = { type: 'lazy', value: '${name}', custom_type: 'upper_case' }
    const preview = h.ok(await h.engine.api.previewNodeInputs({ pipeline: tree, nodeId: node.id }))
    expect(preview).toEqual({ greeting: 'hi bob', shout: 'BOB', n: 1 })
    await h.settle()
    expect(await stateTree(h, tree.id)).toEqual({})
    expect(h.calls).toEqual([])
    // The tree can still be run afterwards.
    const id = await h.run(tree, { keepIds: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'previewNodeInputs renders subprocess params and, through subprocess_stack, a node inside':
    async (h) => {
      const { tree, sub, inner } = withSubprocess('hello')
      expect(
        h.ok(await h.engine.api.previewNodeInputs({ pipeline: tree, nodeId: sub.id })),
      ).toEqual({
        '${p}': 'hello',
      })
      expect(
        h.ok(
          await h.engine.api.previewNodeInputs({
            pipeline: tree,
            nodeId: inner.id,
            subprocessStack: [sub.id],
          }),
        ),
      ).toEqual({ echo: 'hello' })
    },

  'previewNodeInputs refuses a gateway: can not preview inputs for node type: ExclusiveGateway':
    async (h) => {
      const { tree, gateway } = exclusive(5, ['${value} > 3', '${value} <= 3'])
      const answer = await h.engine.api.previewNodeInputs({ pipeline: tree, nodeId: gateway.id })
      expect(answer.result).toBe(false)
      expect(answer.message).toBe('can not preview inputs for node type: ExclusiveGateway')
      expect(answer.data ?? null).toBeNull()
      expect(await stateTree(h, tree.id)).toEqual({})
      expect(h.calls).toEqual([])
    },

  // ---- execution time ---------------------------------------------------------------------

  'getPipelineExecutionTime grows with the clock while running and stops at the archive time':
    async (h) => {
      const timer = act('sleep_timer', { bk_timing: 10 })
      const id = await h.run(sequence(timer), { keepIds: true })
      await h.advance(3)
      const running = h.ok(
        await h.engine.api.getPipelineExecutionTime({ pipelineId: id }),
      ) as ExecutionTime
      expect(running.state).toBe('RUNNING')
      expect(running.start_time).toBeInstanceOf(Date)
      expect(running.archived_time).toBeNull()
      expect(running.execution_time).toBeGreaterThanOrEqual(3)
      expect(running.execution_time).toBeLessThan(4)
      await h.advance(12)
      const finished = h.ok(
        await h.engine.api.getPipelineExecutionTime({ pipelineId: id }),
      ) as ExecutionTime
      expect(finished.state).toBe('FINISHED')
      expect(finished.archived_time).toBeInstanceOf(Date)
      expect(finished.execution_time).toBeGreaterThanOrEqual(9)
      expect(finished.execution_time).toBe(
        (finished.archived_time!.getTime() - finished.start_time.getTime()) / 1000,
      )
      await h.advance(5)
      const later = h.ok(
        await h.engine.api.getPipelineExecutionTime({ pipelineId: id }),
      ) as ExecutionTime
      expect(later.execution_time).toBe(finished.execution_time)
    },

  'getPipelineExecutionTime refuses an unknown pipeline': async (h) => {
    const id = await h.run(sequence(act('debug_node')))
    await expectRefused(
      h,
      id,
      () => h.engine.api.getPipelineExecutionTime({ pipelineId: 'pnotthere' }),
      'node(pnotthere) does not exist',
    )
  },

  'getNodeExecutionTime measures a running sleep_timer node with the clock': async (h) => {
    const first = act('debug_node')
    const timer = act('sleep_timer', { bk_timing: 10 })
    await h.run(sequence(first, timer), { keepIds: true })
    await h.advance(3)
    const running = h.ok(
      await h.engine.api.getNodeExecutionTime({ nodeId: timer.id }),
    ) as ExecutionTime
    expect(running.state).toBe('RUNNING')
    expect(running.archived_time).toBeNull()
    expect(running.execution_time).toBeGreaterThanOrEqual(3)
    expect(running.execution_time).toBeLessThan(4)
    const quick = h.ok(
      await h.engine.api.getNodeExecutionTime({ nodeId: first.id }),
    ) as ExecutionTime
    expect(quick.state).toBe('FINISHED')
    expect(quick.execution_time).toBe(0)
    await h.advance(12)
    const finished = h.ok(
      await h.engine.api.getNodeExecutionTime({ nodeId: timer.id }),
    ) as ExecutionTime
    expect(finished.state).toBe('FINISHED')
    expect(finished.archived_time).toBeInstanceOf(Date)
    expect(finished.execution_time).toBeGreaterThanOrEqual(9)
  },

  'getNodeExecutionTime refuses a node that has not started': async (h) => {
    const waiting = act('callback_node')
    const later = act('debug_node')
    const id = await h.run(sequence(waiting, later), { keepIds: true })
    await expectRefused(
      h,
      id,
      () => h.engine.api.getNodeExecutionTime({ nodeId: later.id }),
      `node(${later.id}) does not exist`,
    )
  },

  // ---- updateContextValues ----------------------------------------------------------------

  'updateContextValues changes what a later node renders': async (h) => {
    const timer = act('sleep_timer', { bk_timing: 2 })
    const reader = act('debug_node', { seen: '${x}', spliced: 'x=${x}' })
    const tree = sequence(timer, reader)
    tree.data.inputs['${x}'] = { type: 'plain', value: 'old' }
    const id = await h.run(tree, { keepIds: true })
    h.ok(
      await h.engine.api.updateContextValues({ pipelineId: id, contextValues: { '${x}': 'new' } }),
    )
    await h.advance(3)
    expect((await h.states(id))[id]).toBe('FINISHED')
    expect(await h.outputs(reader.id)).toMatchObject({ seen: 'new', spliced: 'x=new' })
  },

  'updateContextValues refuses an unknown pipeline': async (h) => {
    const id = await h.run(sequence(act('debug_node')))
    await expectRefused(
      h,
      id,
      () =>
        h.engine.api.updateContextValues({ pipelineId: 'pnotthere', contextValues: { '${x}': 1 } }),
      /pnotthere/,
    )
  },
}
