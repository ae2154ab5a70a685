import {
  buildTree,
  ConvergeGateway,
  Data,
  EmptyEndEvent,
  EmptyStartEvent,
  ExclusiveGateway,
  ParallelGateway,
  SubProcess,
  Var,
} from '@culm/tree'
import { expect } from 'vitest'
import type { Scenario } from '../harness.js'
import { act, sequence } from '../trees.js'

/** Pause, resume, revoke, failure handling, timeouts, automatic retries and loops. */
export const controlScenarios: Record<string, Scenario> = {
  'pauses a pipeline while parallel branches run and resumes every branch': async (h) => {
    const start = new EmptyStartEvent()
    const pg = new ParallelGateway()
    const cg = new ConvergeGateway()
    const slow = act('sleep_timer', { bk_timing: 3 })
    const fast = act('debug_node')
    const next = [act('debug_node'), act('debug_node')]
    pg.connect(slow, fast)
    start.extend(pg)
    slow.extend(next[0]!).extend(cg)
    fast.extend(next[1]!).extend(cg)
    cg.extend(new EmptyEndEvent())
    const tree = buildTree(start)
    const id = await h.run(tree, { keepIds: true })
    expect((await h.states(id))[next[1]!.id]).toBe('FINISHED')
    h.ok(await h.engine.api.pausePipeline({ pipelineId: id }))
    expect((await h.states(id))[id]).toBe('SUSPENDED')
    await h.advance(5)
    const paused = await h.states(id)
    expect(paused[slow.id]).toBe('FINISHED')
    expect(paused[next[0]!.id]).toBeUndefined()
    expect(paused[cg.id]).toBeUndefined()
    h.ok(await h.engine.api.resumePipeline({ pipelineId: id }))
    await h.settle()
    const resumed = await h.states(id)
    expect(resumed[next[0]!.id]).toBe('FINISHED')
    expect(resumed[id]).toBe('FINISHED')
  },

  'pauses and resumes a subprocess on its own': async (h) => {
    const innerStart = new EmptyStartEvent()
    const first = act('sleep_timer', { bk_timing: 2 })
    const second = act('debug_node')
    innerStart.extend(first).extend(second).extend(new EmptyEndEvent())
    const sub = new SubProcess({ start: innerStart })
    const start = new EmptyStartEvent()
    start.extend(sub).extend(new EmptyEndEvent())
    const id = await h.run(buildTree(start), { keepIds: true })
    h.ok(await h.engine.api.pausePipeline({ pipelineId: sub.id }))
    await h.advance(4)
    expect((await h.states(id))[first.id]).toBe('FINISHED')
    expect((await h.states(id))[second.id]).toBeUndefined()
    h.ok(await h.engine.api.resumePipeline({ pipelineId: sub.id }))
    await h.settle()
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'revokes a pipeline while a node is scheduling and calls nothing of it afterwards': async (h) => {
    const timer = act('sleep_timer', { bk_timing: 5 })
    const after = act('debug_node')
    const id = await h.run(sequence(timer, after), { keepIds: true })
    await h.advance(2)
    h.ok(await h.engine.api.revokePipeline({ pipelineId: id }))
    const callsAtRevoke = h.calls.length
    await h.advance(10)
    expect(h.calls.length).toBe(callsAtRevoke)
    const states = await h.states(id)
    expect(states[id]).toBe('REVOKED')
    expect(states[after.id]).toBeUndefined()
    const refused = await h.engine.api.resumePipeline({ pipelineId: id })
    expect(refused.result).toBe(false)
  },

  'finishes an error-ignorable failed node with error_ignored and continues': async (h) => {
    const failing = act('fail_ctrl_node', { bit: 0 }, { errorIgnorable: true })
    const after = act('debug_node')
    const id = await h.run(sequence(failing, after), { keepIds: true })
    const state = await h.state(failing.id)
    expect(state?.state).toBe('FINISHED')
    expect(state?.error_ignored).toBe(true)
    expect((await h.outputs(failing.id))._result).toBe(false)
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'parks a failed node: the root stays RUNNING and outputs are still copied to the context': async (
    h,
  ) => {
    const failing = act('fail_ctrl_node', { bit: 0 })
    const tree = sequence(failing, act('debug_node'))
    tree.data.inputs['${result}'] = {
      type: 'plain',
      value: null,
      source_act: failing.id,
      source_key: '_result',
    }
    tree.data.outputs = ['${result}']
    const id = await h.run(tree, { keepIds: true })
    expect((await h.states(id))[id]).toBe('RUNNING')
    expect((await h.state(failing.id))?.state).toBe('FAILED')
    h.ok(await h.engine.api.skipNode({ nodeId: failing.id }))
    await h.settle()
    expect(h.ok(await h.engine.api.getExecutionDataOutputs({ nodeId: id }))).toEqual({
      '${result}': false,
    })
  },

  'times out a node with forced_fail and discards its late result': async (h) => {
    const slow = act(
      'sleep_timer',
      { bk_timing: 10 },
      {
        timeoutConfig: { enable: true, seconds: 3, action: 'forced_fail' },
      },
    )
    const id = await h.run(sequence(slow, act('debug_node')), { keepIds: true })
    await h.advance(4)
    const state = await h.state(slow.id)
    expect(state?.state).toBe('FAILED')
    const outputs = await h.outputs(slow.id)
    expect(outputs._forced_failed).toBe(true)
    expect(String(outputs.ex_data)).toMatch(/timeout/)
    const calls = h.calls.length
    await h.advance(10)
    expect(h.calls.length).toBe(calls)
    expect((await h.state(slow.id))?.state).toBe('FAILED')
    expect((await h.states(id))[id]).toBe('RUNNING')
  },

  'times out a node with forced_fail_and_skip and really skips it': async (h) => {
    const slow = act(
      'sleep_timer',
      { bk_timing: 10 },
      {
        timeoutConfig: { enable: true, seconds: 2, action: 'forced_fail_and_skip' },
      },
    )
    const after = act('debug_node')
    const id = await h.run(sequence(slow, after), { keepIds: true })
    await h.advance(3)
    const state = await h.state(slow.id)
    expect(state?.state).toBe('FINISHED')
    expect(state?.skip).toBe(true)
    expect((await h.states(id))[id]).toBe('FINISHED')
    const histories = h.ok(await h.engine.api.getNodeHistories({ nodeId: slow.id })) as unknown[]
    expect(histories).toHaveLength(1)
  },

  'retries a failed node automatically, at most the configured times': async (h) => {
    const failing = act(
      'fail_ctrl_node',
      { bit: 0 },
      { autoRetry: { enable: true, times: 2, interval: 1 } },
    )
    const id = await h.run(sequence(failing), { keepIds: true })
    await h.advance(5)
    const state = await h.state(failing.id)
    expect(state?.state).toBe('FAILED')
    expect(state?.retry).toBe(2)
    expect(h.calls.filter((c) => c.nodeId === failing.id)).toHaveLength(3)
    expect(h.ok(await h.engine.api.getNodeHistories({ nodeId: failing.id }))).toHaveLength(2)
    expect((await h.states(id))[id]).toBe('RUNNING')
  },

  'loops back through an exclusive gateway, counting loops and archiving each run': async (h) => {
    const start = new EmptyStartEvent()
    const counter = act('loop_count_node')
    const gateway = new ExclusiveGateway({ conditions: { 0: '${loop} < 3', 1: '${loop} >= 3' } })
    start.extend(counter).extend(gateway).connect(counter, new EmptyEndEvent())
    const tree = buildTree(start, {
      data: new Data({
        inputs: {
          '${loop}': { type: 'plain', value: 0, source_act: counter.id, source_key: 'loop' },
        },
      }),
    })
    const id = await h.run(tree, { keepIds: true, cycleTolerate: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
    const state = await h.state(counter.id)
    expect(state?.loop).toBe(3)
    expect((await h.outputs(counter.id)).loop).toBe(3)
    const histories = h.ok(await h.engine.api.getNodeHistories({ nodeId: counter.id })) as Array<{
      loop: number
    }>
    expect(histories.map((entry) => entry.loop)).toEqual([1, 2])
    expect((await h.state(gateway.id))?.loop).toBe(3)
  },

  'fails a node that re-enters more often than the rerun limit': async (h) => {
    const start = new EmptyStartEvent()
    const counter = act('debug_node')
    const gateway = new ExclusiveGateway({ conditions: { 0: 'True', 1: 'False' } })
    start.extend(counter).extend(gateway).connect(counter, new EmptyEndEvent())
    const id = await h.run(buildTree(start), { keepIds: true, cycleTolerate: true })
    expect((await h.states(id))[id]).toBe('RUNNING')
    const state = await h.state(counter.id)
    expect(state?.state).toBe('FAILED')
    expect(state?.loop).toBe(101)
    expect(await h.outputs(counter.id)).toEqual({
      ex_data: 'node execution exceed rerun limit 100',
    })
  },

  'runs nested subprocesses with their own contexts': async (h) => {
    const deepStart = new EmptyStartEvent()
    const deep = act('debug_node', { v: '${level2}' })
    deepStart.extend(deep).extend(new EmptyEndEvent())
    const inner = new SubProcess({
      start: deepStart,
      data: new Data({ inputs: { '${level2}': new Var({ type: 'plain', value: 'unset' }) } }),
      params: { '${level2}': new Var({ type: 'splice', value: '${level1}-2' }) },
    })
    const midStart = new EmptyStartEvent()
    midStart.extend(inner).extend(new EmptyEndEvent())
    const outer = new SubProcess({
      start: midStart,
      data: new Data({ inputs: { '${level1}': new Var({ type: 'plain', value: 'unset' }) } }),
      params: { '${level1}': new Var({ type: 'splice', value: '${root}-1' }) },
    })
    const start = new EmptyStartEvent()
    start.extend(outer).extend(new EmptyEndEvent())
    const tree = buildTree(start, {
      data: new Data({ inputs: { '${root}': new Var({ type: 'plain', value: 'r' }) } }),
    })
    const id = await h.run(tree, { keepIds: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
    expect(await h.outputs(deep.id)).toMatchObject({ v: 'r-1-2' })
    const deepState = await h.state(deep.id)
    expect(deepState?.parent_id).toBe(inner.id)
    expect(deepState?.root_id).toBe(id)
  },

  'gives subprocess_context presets to every subprocess level': async (h) => {
    const innerStart = new EmptyStartEvent()
    const inner = act('debug_node', { v: '${preset}' })
    innerStart.extend(inner).extend(new EmptyEndEvent())
    const sub = new SubProcess({ start: innerStart })
    const start = new EmptyStartEvent()
    start.extend(sub).extend(new EmptyEndEvent())
    await h.run(buildTree(start), { keepIds: true, subprocessContext: { preset: 'given' } })
    expect(await h.outputs(inner.id)).toMatchObject({ v: 'given' })
  },

  'starts at an allowed node and refuses a node inside a parallel block': async (h) => {
    const first = act('fail_ctrl_node', { bit: 0 })
    const second = act('debug_node')
    const tree = sequence(first, second)
    const id = await h.run(tree, { keepIds: true, startNodeId: second.id })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(states[first.id]).toBeUndefined()
    const start = new EmptyStartEvent()
    const pg = new ParallelGateway()
    const inside = act('debug_node')
    start
      .extend(pg)
      .connect(inside, act('debug_node'))
      .converge(new ConvergeGateway())
      .extend(new EmptyEndEvent())
    const refused = await h.engine.api.runPipeline({
      pipeline: buildTree(start),
      startNodeId: inside.id,
    })
    expect(refused.result).toBe(false)
    expect(refused.message).toMatch(/not allowed as a starting node/)
  },
}
