import { buildTree, Data, EmptyEndEvent, EmptyStartEvent, NodeOutput, Var } from '@culm/tree'
import { expect } from 'vitest'
import type { Scenario } from '../harness.js'
import { act, sequence } from '../trees.js'

const loopConfig = (loopTimes: number, extra: Record<string, unknown> = {}) => ({
  enable: true,
  loop_times: loopTimes,
  outputs_key: 'results',
  ...extra,
})

/** Node-level loops (`loop_config`) and the `_loop` value seen by a node's own inputs. */
export const loopScenarios: Record<string, Scenario> = {
  'repeats a loop node loop_times times and collects each iteration in outputs_key': async (h) => {
    const looped = act(
      'loop_count_node',
      { outputs: { n: '${_inner_loop}' } },
      { loopConfig: loopConfig(3) },
    )
    const after = act('debug_node', { all: '${results}' })
    const id = await h.run(sequence(looped, after), { keepIds: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
    const state = await h.state(looped.id)
    expect(state?.loop).toBe(3)
    const collected = (await h.outputs(after.id)).all as Array<Record<string, unknown>>
    expect(collected.map((entry) => entry.inner_loop)).toEqual([1, 2, 3])
    expect(collected.every((entry) => entry.result === true)).toBe(true)
    expect(h.ok(await h.engine.api.getNodeShortHistories({ nodeId: looped.id }))).toHaveLength(2)
  },

  'continues a loop past a failed iteration when fail_skip is set': async (h) => {
    const looped = act(
      'fail_ctrl_node',
      { bit: 0 },
      { loopConfig: loopConfig(2, { fail_skip: true }) },
    )
    const id = await h.run(sequence(looped, act('debug_node')), { keepIds: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
    const state = await h.state(looped.id)
    expect(state?.error_ignored).toBe(true)
    expect(state?.loop).toBe(2)
  },

  'retries a failed loop iteration with loop_retry and restarts the loop with a plain retry':
    async (h) => {
      const looped = act(
        'fail_ctrl_node',
        { bit: 0 },
        { loopConfig: loopConfig(3, { retryable: true, skippable: true }) },
      )
      const id = await h.run(sequence(looped), { keepIds: true })
      expect((await h.state(looped.id))?.state).toBe('FAILED')
      h.ok(await h.engine.api.retryNode({ nodeId: looped.id, loopRetry: true, data: { bit: 1 } }))
      await h.settle()
      expect((await h.states(id))[id]).toBe('FINISHED')
      const state = await h.state(looped.id)
      expect(state?.retry).toBe(1)
      expect(state?.loop).toBe(3)
    },

  'refuses loop_retry and loop_skip on a node that does not allow them': async (h) => {
    const looped = act('fail_ctrl_node', { bit: 0 }, { loopConfig: loopConfig(2) })
    await h.run(sequence(looped), { keepIds: true })
    const retry = await h.engine.api.retryNode({ nodeId: looped.id, loopRetry: true })
    expect(retry).toMatchObject({
      result: false,
      message: `node(${looped.id}) is not loop retryable`,
    })
    const skip = await h.engine.api.skipNode({ nodeId: looped.id, loopSkip: true })
    expect(skip).toMatchObject({ result: false, message: `node(${looped.id}) can not loop skip` })
  },

  'skips a failed loop iteration with loop_skip and runs the remaining ones': async (h) => {
    const looped = act(
      'fail_ctrl_node',
      { bit: 0 },
      { loopConfig: loopConfig(2, { skippable: true }) },
    )
    await h.run(sequence(looped), { keepIds: true })
    h.ok(await h.engine.api.skipNode({ nodeId: looped.id, loopSkip: true }))
    await h.settle()
    const state = await h.state(looped.id)
    expect(state?.state).toBe('FAILED')
    expect(state?.loop).toBe(2)
  },

  'lets a node render its own _loop through a node output declared on it': async (h) => {
    const start = new EmptyStartEvent()
    const node = act('debug_node', { pick: '${l.split(",")[i]}' })
    start.extend(node).extend(new EmptyEndEvent())
    const tree = buildTree(start, {
      data: new Data({
        inputs: {
          '${l}': new Var({ type: 'plain', value: 'a,b,c' }),
          '${i}': new NodeOutput({ sourceAct: node.id, sourceKey: '_loop' }),
        },
      }),
    })
    await h.run(tree, { keepIds: true })
    expect((await h.outputs(node.id)).pick).toBe('b')
  },
}
