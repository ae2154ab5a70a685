import type { PipelineTree } from '@culm/tree'
import { expect } from 'vitest'
import request from '../../fixtures/seed-004-request.json' with { type: 'json' }
import type { Scenario } from '../harness.js'
import { act, exclusive, parallel, sequence, withSubprocess } from '../trees.js'

const seedTree = request.pipeline_tree as unknown as PipelineTree

function seedWith(timing: string): PipelineTree {
  const tree = structuredClone(seedTree)
  tree.constants!['${bk_timing}']!.value = timing
  return tree
}

/** Each node and gateway kind, data flow, and the seed tree. */
export const flowScenarios: Record<string, Scenario> = {
  'runs a sequence of activities to FINISHED and keeps each one outputs': async (h) => {
    const tree = sequence(act('debug_node', { a: 1 }), act('loop_count_node', { b: 'x' }))
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(Object.values(states).every((s) => s === 'FINISHED')).toBe(true)
    const [first, second] = Object.keys(tree.activities)
    expect(await h.outputs(first!)).toEqual({ a: 1, _result: true, _loop: 1, _inner_loop: 1 })
    expect(await h.outputs(second!)).toMatchObject({ b: 'x', loop: 1 })
    expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: first! }))).toEqual({
      a: 1,
      _loop: 1,
      _inner_loop: 1,
    })
  },

  'forks a parallel gateway into one process per branch and joins them at the converge': async (
    h,
  ) => {
    const { tree, converge, after } = parallel([
      act('debug_node'),
      act('debug_node'),
      act('debug_node'),
    ])
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(states[converge.id]).toBe('FINISHED')
    expect(states[after.id]).toBe('FINISHED')
    expect(Object.keys(states)).toHaveLength(1 + 1 + 1 + 3 + 1 + 1 + 1)
  },

  'takes only the true branches of a conditional parallel gateway': async (h) => {
    const branches = [act('debug_node'), act('debug_node'), act('debug_node')]
    const { tree } = parallel(branches, 'cpg', ['1 == 1', '1 == 2', 'True'])
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(states[branches[0]!.id]).toBe('FINISHED')
    expect(states[branches[1]!.id]).toBeUndefined()
    expect(states[branches[2]!.id]).toBe('FINISHED')
  },

  'fails a conditional parallel gateway whose conditions are all false and that has no default':
    async (h) => {
      const { tree, gateway } = parallel([act('debug_node'), act('debug_node')], 'cpg', [
        '1 == 2',
        'False',
      ])
      const id = await h.run(tree, { keepIds: true })
      expect((await h.states(id))[id]).toBe('RUNNING')
      expect((await h.state(gateway.id))?.state).toBe('FAILED')
      expect(await h.outputs(gateway.id)).toEqual({
        ex_data: 'all conditions of branches are not meet',
      })
    },

  'takes the one true branch of an exclusive gateway': async (h) => {
    const { tree, branches } = exclusive(5, ['${value} > 3', '${value} <= 3'])
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(states[branches[0]!.id]).toBe('FINISHED')
    expect(states[branches[1]!.id]).toBeUndefined()
  },

  'takes the default flow of an exclusive gateway when no condition holds': async (h) => {
    const { tree, branches } = exclusive(5, ['${value} > 10', '${value} < 0'], 2)
    const id = await h.run(tree, { keepIds: true })
    expect((await h.states(id))[branches[2]!.id]).toBe('FINISHED')
  },

  'fails an exclusive gateway when several conditions hold, naming the flows': async (h) => {
    const { tree, gateway } = exclusive(5, ['${value} > 1', '${value} > 2'])
    const id = await h.run(tree, { keepIds: true })
    expect((await h.states(id))[id]).toBe('RUNNING')
    expect((await h.state(gateway.id))?.state).toBe('FAILED')
    const flows = (tree.gateways[gateway.id] as { outgoing: string[] }).outgoing
    expect(await h.outputs(gateway.id)).toEqual({
      ex_data: `multiple conditions meet: ${JSON.stringify(flows)}`,
    })
  },

  'fails an exclusive gateway when no condition holds and there is no default': async (h) => {
    const { tree, gateway } = exclusive(5, ['${value} > 10', '${value} < 0'])
    await h.run(tree, { keepIds: true })
    expect(await h.outputs(gateway.id)).toEqual({
      ex_data: 'all conditions of branches are not meet',
    })
  },

  'runs the seed 004 tree through the parallel branch when bk_timing <= 10': async (h) => {
    const id = await h.run(seedWith('1'))
    await h.advance(5)
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(Object.keys(states)).toHaveLength(10)
    expect(h.ok(await h.engine.api.getExecutionDataOutputs({ nodeId: id }))).toEqual({
      '${bk_timing}': '1',
    })
  },

  'runs the seed 004 tree through node2 when bk_timing > 10': async (h) => {
    const id = await h.run(seedWith('12'))
    await h.advance(10)
    expect((await h.states(id))[id]).toBe('RUNNING')
    await h.advance(20)
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(Object.keys(states)).toHaveLength(7)
  },

  'passes parameters into a subprocess and its outputs back out': async (h) => {
    const { tree, sub, inner, after } = withSubprocess('hello')
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(states[sub.id]).toBe('FINISHED')
    expect(states[inner.id]).toBe('FINISHED')
    expect(h.ok(await h.engine.api.getExecutionDataInputs({ nodeId: sub.id }))).toEqual({
      '${p}': 'hello',
    })
    expect(await h.outputs(sub.id)).toEqual({ '${out}': 'hello', _loop: 1, _inner_loop: 1 })
    expect(await h.outputs(after.id)).toMatchObject({ seen: 'hello' })
    expect(h.ok(await h.engine.api.getExecutionDataOutputs({ nodeId: id }))).toEqual({
      '${result}': 'hello',
    })
    const nested = h.ok(
      await h.engine.api.getPipelineStates({ rootId: id, flatChildren: false }),
    ) as Record<string, { children: Record<string, { children: Record<string, unknown> }> }>
    expect(Object.keys(nested[id]!.children[sub.id]!.children)).toContain(inner.id)
  },

  'keeps a missing pipeline output key as the key itself': async (h) => {
    const tree = sequence(act('debug_node'))
    tree.data.outputs = ['${nothing_here}']
    const id = await h.run(tree, { keepIds: true })
    expect(h.ok(await h.engine.api.getExecutionDataOutputs({ nodeId: id }))).toEqual({
      '${nothing_here}': '${nothing_here}',
    })
  },

  'renders splice inputs, lazy variables and root pipeline context': async (h) => {
    const tree = sequence(
      act('debug_node', { greeting: 'hi ${name}', shout: '${loud}', from_root: '${preset}' }),
    )
    tree.data.inputs['${name}'] = { type: 'plain', value: 'bob' }
    tree.data.inputs['${loud}'] = { type: 'lazy', value: '${name}', custom_type: 'upper_case' }
    const id = await h.run(tree, { keepIds: true, rootPipelineContext: { '${preset}': 42 } })
    expect((await h.states(id))[id]).toBe('FINISHED')
    const activity = Object.keys(tree.activities)[0]!
    expect(await h.outputs(activity)).toMatchObject({
      greeting: 'hi bob',
      shout: 'BOB',
      from_root: 42,
    })
  },

  'fails a node whose lazy variable raises, with inputs hydrate failed': async (h) => {
    const tree = sequence(act('debug_node', { bad: '${boom}' }))
    tree.data.inputs['${boom}'] = { type: 'lazy', value: 'x', custom_type: 'raise_variable' }
    await h.run(tree, { keepIds: true })
    const activity = Object.keys(tree.activities)[0]!
    expect((await h.state(activity))?.state).toBe('FAILED')
    expect(String((await h.outputs(activity)).ex_data)).toMatch(
      /^inputs hydrate failed\(.*raise_variable always raises/,
    )
  },

  'refuses an invalid tree with every problem and starts nothing': async (h) => {
    const tree = sequence(act('debug_node'), act('no_such_component'))
    const answer = await h.engine.api.runPipeline({ pipeline: tree })
    expect(answer.result).toBe(false)
    expect(answer.message).toMatch(/no_such_component/)
    expect(h.ok(await h.engine.api.getPipelineStates({ rootId: tree.id }))).toEqual({})
  },

  'runs an executable end event registered like a component, failing it when its code fails':
    async (h) => {
      const ok = sequence(act('debug_node'))
      ok.end_event.type = 'debug_node'
      const okId = await h.run(ok, { keepIds: true })
      expect((await h.states(okId))[okId]).toBe('FINISHED')
      expect(h.calls.some((c) => c.nodeId === ok.end_event.id)).toBe(true)
      const failing = sequence(act('debug_node'))
      failing.end_event.type = 'fail_ctrl_node'
      const id = await h.run(failing, { keepIds: true })
      expect((await h.states(id))[id]).toBe('RUNNING')
      expect((await h.state(failing.end_event.id))?.state).toBe('FAILED')
    },

  'refuses an end event type that is neither EmptyEndEvent nor registered': async (h) => {
    const tree = sequence(act('debug_node'))
    tree.end_event.type = 'NoSuchEndEvent'
    const answer = await h.engine.api.runPipeline({ pipeline: tree })
    expect(answer.result).toBe(false)
    expect(answer.message).toMatch(/NoSuchEndEvent/)
  },
}
