import {
  buildTree,
  ConvergeGateway,
  Data,
  DataInput,
  EmptyEndEvent,
  EmptyStartEvent,
  ExclusiveGateway,
  NodeOutput,
  ParallelGateway,
  SubProcess,
  Var,
  validateTree,
} from '@culm/tree'
import { expect } from 'vitest'
import { pythonConditional, pythonCorpus, pythonSubprocess } from '../../fixtures/python-builder.js'
import type { Scenario } from '../harness.js'
import { act, sequence } from '../trees.js'

/** Trees, data and calls exactly as the Python engine and the platform produce them. */
export const compatScenarios: Record<string, Scenario> = {
  'runs every tree the Python builder writes, null names included, to FINISHED': async (h) => {
    for (const [shape, tree] of Object.entries(pythonCorpus())) {
      expect(validateTree(tree).problems, shape).toEqual([])
      const id = await h.run(tree, { keepIds: true })
      const states = await h.states(id)
      expect(states[id], shape).toBe('FINISHED')
      expect(states[tree.start_event.id], shape).toBe('FINISHED')
      expect(states[tree.end_event.id], shape).toBe('FINISHED')
    }
  },

  'takes the branch a Python-built exclusive gateway chooses': async (h) => {
    const { tree, taken, other } = pythonConditional('ExclusiveGateway')
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[taken]).toBe('FINISHED')
    expect(states[other]).toBeUndefined()
    expect(states[id]).toBe('FINISHED')
  },

  'runs the unnamed nodes of a Python-built subprocess': async (h) => {
    const tree = pythonSubprocess()
    const id = await h.run(tree, { keepIds: true })
    const sub = Object.keys(tree.activities)[0]!
    const inner = (tree.activities[sub] as { pipeline: { activities: Record<string, unknown> } })
      .pipeline
    const [act] = Object.keys(inner.activities)
    expect((await h.state(sub))?.state).toBe('FINISHED')
    expect((await h.state(act!))?.state).toBe('FINISHED')
    expect(await h.outputs(act!)).toMatchObject({ inner: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
  },

  'runs a tree whose references name no constant, rendering them as their text': async (h) => {
    const { tree, taken, other } = pythonConditional('ExclusiveGateway')
    const gateway = Object.values(tree.gateways)[0] as {
      conditions: Record<string, { evaluate: string }>
    }
    const [takenFlow, otherFlow] = Object.keys(gateway.conditions)
    gateway.conditions[takenFlow!] = { evaluate: '"${d}" == "${d}"' }
    gateway.conditions[otherFlow!] = { evaluate: '"${d}" == "1"' }
    const act = tree.activities[taken] as { component: { inputs: Record<string, unknown> } }
    act.component.inputs.note = { type: 'splice', value: 'host ${nowhere}' }
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[taken]).toBe('FINISHED')
    expect(states[other]).toBeUndefined()
    expect(states[id]).toBe('FINISHED')
    expect(await h.outputs(taken)).toMatchObject({ note: 'host ${nowhere}' })
  },

  'derives constants from the loop count of the entry that renders them, in a loop': async (h) => {
    // act's `_loop` goes to ${a_i}; ${input_a} = ${l[a_i]}; act renders ${input_a}: on its n-th
    // entry it sees l[n], as the Python engine gives.
    const start = new EmptyStartEvent()
    const node = act('loop_count_node', { x: '${input_a}' })
    const gateway = new ExclusiveGateway({ conditions: { 0: '${a_i} < 4', 1: '${a_i} >= 4' } })
    start.extend(node).extend(gateway).connect(node, new EmptyEndEvent())
    const tree = buildTree(start, { data: loopData(node.id) })
    const id = await h.run(tree, { keepIds: true, cycleTolerate: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
    const histories = h.ok(await h.engine.api.getNodeHistories({ nodeId: node.id })) as Array<{
      inputs: { x: string }
    }>
    const seen = [...histories.map((entry) => entry.inputs.x), (await h.outputs(node.id)).x]
    expect(seen).toEqual(['b', 'c', 'd', 'e'])
  },

  'derives constants from the loop count in a parallel branch and a subprocess parameter': async (
    h,
  ) => {
    const start = new EmptyStartEvent()
    const pg = new ParallelGateway()
    const cg = new ConvergeGateway()
    const inBranch = act('loop_count_node', { x: '${input_a}' })
    const other = act('debug_node')
    pg.connect(inBranch, other)
    start.extend(pg)
    inBranch.extend(cg)
    other.extend(cg)
    const innerStart = new EmptyStartEvent()
    const inner = act('debug_node', { got: '${p}' })
    innerStart.extend(inner).extend(new EmptyEndEvent())
    const sub = new SubProcess({
      start: innerStart,
      data: new Data({ inputs: { '${p}': new DataInput({ type: 'plain', value: '' }) } }),
      params: { '${p}': new Var({ type: 'splice', value: '${sub_a}' }) },
    })
    cg.extend(sub).extend(new EmptyEndEvent())
    const data = loopData(inBranch.id)
    data.inputs['${sub_i}'] = new NodeOutput({ sourceAct: sub.id, sourceKey: '_loop' })
    data.inputs['${sub_a}'] = new Var({ type: 'splice', value: '${l[sub_i]}' })
    const id = await h.run(buildTree(start, { data }), { keepIds: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
    expect((await h.outputs(inBranch.id)).x).toBe('b')
    expect((await h.outputs(inner.id)).got).toBe('b')
  },

  'runs a subprocess again each time a loop re-enters it, and finishes': async (h) => {
    const innerStart = new EmptyStartEvent()
    const inner = act('debug_node', { n: '${_loop}' })
    innerStart.extend(inner).extend(new EmptyEndEvent())
    const start = new EmptyStartEvent()
    const counter = act('loop_count_node')
    const sub = new SubProcess({ start: innerStart })
    const gateway = new ExclusiveGateway({ conditions: { 0: '${loop} < 3', 1: '${loop} >= 3' } })
    start.extend(counter).extend(sub).extend(gateway).connect(counter, new EmptyEndEvent())
    const tree = buildTree(start, {
      data: new Data({
        inputs: { '${loop}': new NodeOutput({ sourceAct: counter.id, sourceKey: 'loop' }) },
      }),
    })
    const id = await h.run(tree, { keepIds: true, cycleTolerate: true })
    const states = await h.states(id)
    expect(states[id]).toBe('FINISHED')
    expect(await h.state(sub.id)).toMatchObject({ state: 'FINISHED', loop: 3 })
    expect(await h.state(inner.id)).toMatchObject({ state: 'FINISHED' })
    expect(h.calls.filter((c) => c.nodeId === inner.id && c.phase === 'execute')).toHaveLength(3)
  },

  'fail_at_second_node fails its first entry, then copies its inputs and outputs its loop': async (
    h,
  ) => {
    const node = act('fail_at_second_node', { host: 'db-1' })
    const id = await h.run(sequence(node), { keepIds: true })
    expect((await h.state(node.id))?.state).toBe('FAILED')
    h.ok(await h.engine.api.retryNode({ nodeId: node.id, data: { host: 'db-2', can_go: true } }))
    await h.settle()
    expect((await h.states(id))[id]).toBe('FINISHED')
    expect(await h.outputs(node.id)).toMatchObject({
      host: 'db-2',
      can_go: true,
      loop: 1,
      _result: true,
    })
  },

  'answers get_pipeline_debug_info with the context values and the processes': async (h) => {
    const { tree } = pythonConditional('ExclusiveGateway')
    const id = await h.run(tree, { keepIds: true })
    const info = h.ok(await h.engine.api.getPipelineDebugInfo({ pipelineId: id })) as {
      context_values: Record<string, { type: string; value: unknown }>
      processes: Array<{ root_pipeline_id: string; dead: boolean; current_node_id: string }>
    }
    expect(info.context_values['${x}']).toEqual({ type: 'plain', value: 1 })
    expect(info.processes).toHaveLength(1)
    expect(info.processes[0]).toMatchObject({
      root_pipeline_id: id,
      dead: true,
      current_node_id: tree.end_event.id,
    })
    const missing = await h.engine.api.getPipelineDebugInfo({ pipelineId: 'pnowhere' })
    expect(missing).toMatchObject({ result: false, message: 'pipeline(pnowhere) does not exist' })
  },
}

/** `${l}` the letters a to f, `${a_i}` fed by `_loop` of `nodeId`, `${input_a}` = `${l[a_i]}`. */
function loopData(nodeId: string): Data {
  return new Data({
    inputs: {
      '${l}': new Var({ type: 'plain', value: ['a', 'b', 'c', 'd', 'e', 'f'] }),
      '${a_i}': new NodeOutput({ sourceAct: nodeId, sourceKey: '_loop' }),
      '${input_a}': new Var({ type: 'splice', value: '${l[a_i]}' }),
    },
  })
}
