import { expect } from 'vitest'
import type { Harness, Scenario } from '../harness.js'
import { act, sequence } from '../trees.js'

/** A tree `start -> gate -> debug_node -> end`, started; answers the ids once the gate runs. */
export async function startGated(h: Harness, options: Parameters<typeof act>[2] = {}) {
  const gate = act('gate', { host: 'db-1' }, options)
  const after = act('debug_node')
  const tree = sequence(gate, after)
  const id = await h.start(tree, { keepIds: true })
  await h.gates.started(gate.id)
  await h.passFastCallBound()
  return { id, gate: gate.id, after: after.id, start: tree.start_event.id }
}

/** Node states as every read surface of the engine API shows them. */
async function readSurfaces(h: Harness, rootId: string, nodeId: string) {
  const tree = h.ok(await h.engine.api.getPipelineStates({ rootId })) as Record<
    string,
    { children: Record<string, { state: string; started_time: unknown }> }
  >
  const children = h.ok(await h.engine.api.getChildrenStates({ nodeId })) as Record<
    string,
    { state: string; started_time: unknown }
  >
  return { fromRoot: tree[rootId]!.children[nodeId], fromNode: children[nodeId] }
}

/**
 * The execution model: a component runs outside any transaction; its node is RUNNING, visible and
 * controllable while it runs; timeouts stop it; callbacks are applied exactly once.
 */
export const executionScenarios: Record<string, Scenario> = {
  'shows a node RUNNING with its start time while its component runs, then goes on': async (h) => {
    const { id, gate, after, start } = await startGated(h)
    const { fromRoot, fromNode } = await readSurfaces(h, id, gate)
    expect(fromRoot).toMatchObject({ state: 'RUNNING' })
    expect(fromRoot!.started_time).not.toBeNull()
    expect(fromNode).toMatchObject({ state: 'RUNNING' })
    const states = await h.states(id)
    expect(states[start]).toBe('FINISHED')
    expect(states[id]).toBe('RUNNING')
    expect(states[after]).toBeUndefined()
    expect(h.engine.runningCalls()).toBe(1)

    h.gates.release(gate, { outputs: { rows: 3 } })
    await h.settle()
    expect(await h.states(id)).toMatchObject({
      [gate]: 'FINISHED',
      [after]: 'FINISHED',
      [id]: 'FINISHED',
    })
    expect(await h.outputs(gate)).toMatchObject({ rows: 3, _result: true })
    expect(h.calls.filter((c) => c.nodeId === gate)).toHaveLength(1)
  },

  'force-fails a node whose component runs, stops the call and drops its late answer': async (
    h,
  ) => {
    const { id, gate, after } = await startGated(h)
    h.ok(await h.engine.api.forcedFailActivity({ nodeId: gate, exData: 'stuck on db-1' }))
    expect(await h.state(gate)).toMatchObject({ state: 'FAILED' })
    expect(h.gates.aborted(gate)).toBe(true)

    h.gates.release(gate, { outputs: { rows: 3 } })
    await h.settle()
    const outputs = await h.outputs(gate)
    expect(outputs).toMatchObject({ ex_data: 'stuck on db-1', _forced_failed: true })
    expect(outputs.rows).toBeUndefined()
    const states = await h.states(id)
    expect(states[gate]).toBe('FAILED')
    expect(states[after]).toBeUndefined()
    expect(states[id]).toBe('RUNNING')

    // The operator retries: a new call, whose answer is taken.
    h.ok(await h.engine.api.retryNode({ nodeId: gate }))
    await h.gates.started(gate, 2)
    h.gates.release(gate, { outputs: { rows: 4 } })
    await h.settle()
    expect(await h.outputs(gate)).toMatchObject({ rows: 4 })
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'revokes a pipeline at once while a component runs; nothing after the node runs': async (h) => {
    const { id, gate, after } = await startGated(h)
    h.ok(await h.engine.api.revokePipeline({ pipelineId: id }))
    expect((await h.states(id))[id]).toBe('REVOKED')
    expect(h.gates.aborted(gate)).toBe(true)
    h.gates.release(gate)
    await h.settle()
    const states = await h.states(id)
    expect(states[id]).toBe('REVOKED')
    expect(states[after]).toBeUndefined()
    expect(states[gate]).not.toBe('FINISHED')
  },

  'pauses a pipeline while a component runs: the answer is kept, the next node waits': async (
    h,
  ) => {
    const { id, gate, after } = await startGated(h)
    h.ok(await h.engine.api.pausePipeline({ pipelineId: id }))
    expect((await h.states(id))[id]).toBe('SUSPENDED')
    h.gates.release(gate, { outputs: { rows: 5 } })
    await h.settle()
    let states = await h.states(id)
    expect(states[gate]).toBe('FINISHED')
    expect(states[after]).toBeUndefined()
    expect(await h.outputs(gate)).toMatchObject({ rows: 5 })
    h.ok(await h.engine.api.resumePipeline({ pipelineId: id }))
    await h.settle()
    states = await h.states(id)
    expect(states[after]).toBe('FINISHED')
    expect(states[id]).toBe('FINISHED')
  },

  'a timeout force-fails a node whose component still runs and stops the call': async (h) => {
    const { id, gate, after } = await startGated(h, {
      timeoutConfig: { enable: true, seconds: 1, action: 'forced_fail' },
    })
    await h.clock.advance(1000, () => h.dispatcher.idle())
    expect(await h.state(gate)).toMatchObject({ state: 'FAILED' })
    expect(String((await h.outputs(gate)).ex_data)).toMatch(/node timeout: 1 seconds/)
    expect(h.gates.aborted(gate)).toBe(true)
    h.gates.release(gate, { outputs: { rows: 1 } })
    await h.settle()
    expect((await h.states(id))[after]).toBeUndefined()
    expect((await h.outputs(gate)).rows).toBeUndefined()
  },

  'forced_fail_and_skip on timeout skips a node whose component still runs': async (h) => {
    const { id, gate, after } = await startGated(h, {
      timeoutConfig: { enable: true, seconds: 1, action: 'forced_fail_and_skip' },
    })
    await h.clock.advance(1000, () => h.dispatcher.idle())
    expect(h.gates.aborted(gate)).toBe(true)
    h.gates.release(gate)
    await h.settle()
    const states = await h.states(id)
    expect(states[gate]).toBe('FINISHED')
    expect(await h.state(gate)).toMatchObject({ skip: true })
    expect(states[after]).toBe('FINISHED')
    expect(states[id]).toBe('FINISHED')
  },

  'applies each of twenty callbacks sent at once exactly once': async (h) => {
    const node = act('gate_callbacks', { until: 20 })
    const id = await h.run(sequence(node), { keepIds: true })
    const state = await h.state(node.id)
    expect(state).toMatchObject({ state: 'RUNNING' })
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.engine.api.callback({ nodeId: node.id, version: state!.version, data: { i } }),
      ),
    )
    expect(answers.map((a) => a.result)).toEqual(Array(20).fill(true))
    await h.settle()
    await h.advance(2)
    const outputs = await h.outputs(node.id)
    expect(outputs.count).toBe(20)
    const seen = Array.from({ length: 20 }, (_, i) => (outputs[`seen_${i + 1}`] as { i: number }).i)
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'refuses a second callback to a node that waits for one, and applies the first': async (h) => {
    const node = act('callback_node')
    const id = await h.run(sequence(node), { keepIds: true })
    const { version } = (await h.state(node.id))!
    const [first, second] = await Promise.all([
      h.engine.api.callback({ nodeId: node.id, version, data: { bit: 1, who: 'first' } }),
      h.engine.api.callback({ nodeId: node.id, version, data: { bit: 1, who: 'second' } }),
    ])
    const answers = [first!, second!]
    expect(answers.filter((a) => a.result)).toHaveLength(1)
    const refused = answers.find((a) => !a.result)!
    expect(refused.message).toMatch(/already been called back/)
    await h.settle()
    expect((await h.states(id))[id]).toBe('FINISHED')
  },
}
