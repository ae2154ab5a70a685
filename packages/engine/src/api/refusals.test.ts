import { buildTree, EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var } from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { ComponentRegistry } from '../component-registry.js'
import { createEngine } from '../engine.js'
import { guard } from './result.js'

function engineWithEcho() {
  const components = new ComponentRegistry()
  components.register({ code: 'echo', execute: () => undefined })
  return createEngine({ components })
}

/** A value nested `depth` levels deep: `{ a: { a: … } }`. */
function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  let at = root
  for (let i = 0; i < depth; i++) {
    const next: Record<string, unknown> = {}
    at.a = next
    at = next
  }
  return root
}

/** A valid tree whose one activity has an input `deep` rendered from `value`. */
function treeWithInput(value: unknown) {
  const start = new EmptyStartEvent()
  const activity = new ServiceActivity({ componentCode: 'echo' })
  activity.component.inputs.deep = new Var({ type: 'splice', value })
  start.extend(activity).extend(new EmptyEndEvent())
  return buildTree(start)
}

describe('API refusals of unreadable input', () => {
  it('previewNodeInputs names what is wrong with a tree that is not one', async () => {
    const engine = engineWithEcho()
    for (const pipeline of [null, 'tree', { foo: 1 }, { start_event: 7 }]) {
      const answer = await engine.api.previewNodeInputs({
        pipeline: pipeline as never,
        nodeId: 'x',
      })
      expect(answer.result).toBe(false)
      expect(answer.message).toMatch(/^TreeInvalidException: /)
    }
  })

  it('previewNodeInputs refuses a tree whose parts do not agree, and nothing else', async () => {
    const engine = engineWithEcho()
    const tree = treeWithInput('${missing}')
    const activity = Object.keys(tree.activities)[0]!
    // An unknown constant would stop run_pipeline, not a preview.
    const preview = await engine.api.previewNodeInputs({ pipeline: tree, nodeId: activity })
    expect(preview.result).toBe(true)

    const flowId = Object.keys(tree.flows)[0]!
    const broken = {
      ...tree,
      flows: { ...tree.flows, [flowId]: { ...tree.flows[flowId]!, target: 'nowhere' } },
    }
    const refused = await engine.api.previewNodeInputs({ pipeline: broken, nodeId: activity })
    expect(refused.result).toBe(false)
    expect(refused.message).toMatch(/^TreeInvalidException: .*nowhere/)
  })

  it('refuses a tree of subprocesses nested deeper than the stack, saying so', async () => {
    const engine = engineWithEcho()
    // Raw JSON: a subprocess holding a subprocess, 20,000 levels down.
    const level = (id: string, inner: unknown) => ({
      id,
      start_event: { id: `${id}s`, type: 'EmptyStartEvent', incoming: '', outgoing: `${id}f1` },
      end_event: { id: `${id}e`, type: 'EmptyEndEvent', incoming: `${id}f2`, outgoing: '' },
      activities: {
        [`${id}a`]: {
          id: `${id}a`,
          type: 'SubProcess',
          incoming: `${id}f1`,
          outgoing: `${id}f2`,
          pipeline: inner,
        },
      },
      gateways: {},
      flows: {
        [`${id}f1`]: { id: `${id}f1`, source: `${id}s`, target: `${id}a`, is_default: false },
        [`${id}f2`]: { id: `${id}f2`, source: `${id}a`, target: `${id}e`, is_default: false },
      },
      data: { inputs: {}, outputs: {} },
    })
    let tree: unknown = { id: 'bottom' }
    for (let i = 0; i < 20_000; i++) tree = level(`p${i}x`, tree)
    const started = await engine.api.runPipeline({ pipeline: tree as never })
    expect(started.result).toBe(false)
    expect(started.message).toMatch(/nested too deeply/)
    const preview = await engine.api.previewNodeInputs({ pipeline: tree as never, nodeId: 'x' })
    expect(preview.result).toBe(false)
    expect(preview.message).toMatch(/nested too deeply/)
  })

  it('runs and previews a value nested a hundred levels deep', async () => {
    const engine = engineWithEcho()
    const tree = treeWithInput(nested(100))
    const activity = Object.keys(tree.activities)[0]!
    const preview = await engine.api.previewNodeInputs({ pipeline: tree, nodeId: activity })
    expect(preview.result).toBe(true)
    expect((await engine.api.runPipeline({ pipeline: tree })).result).toBe(true)
    await engine.idle()
    const states = await engine.api.getPipelineStates({ rootId: tree.id })
    expect(states.data?.[tree.id]?.state).toBe('FINISHED')
  })

  it('fails the node, not the engine, when its inputs are too deep to copy', async () => {
    const engine = engineWithEcho()
    const tree = treeWithInput(nested(50_000))
    const activity = Object.keys(tree.activities)[0]!
    const preview = await engine.api.previewNodeInputs({ pipeline: tree, nodeId: activity })
    expect(preview.result).toBe(false)
    expect(preview.message).toMatch(/nested too deeply/)
    expect((await engine.api.runPipeline({ pipeline: tree })).result).toBe(true)
    await engine.idle()
    const states = await engine.api.getPipelineStates({ rootId: tree.id })
    expect(states.data?.[tree.id]?.children[activity]?.state).toBe('FAILED')
    const outputs = await engine.api.getExecutionDataOutputs({ nodeId: activity })
    expect(outputs.data).toMatchObject({
      _result: false,
      ex_data: 'the node data is nested too deeply to be handed to the component',
    })
  })

  it('answers a stack overflow inside an API function as input too deeply nested', async () => {
    const descend = (value: unknown): number =>
      typeof value === 'object' && value !== null ? 1 + descend((value as { a?: unknown }).a) : 0
    const answer = await guard(async () => ({
      result: true,
      message: 'success',
      data: descend(nested(200_000)),
    }))
    expect(answer).toMatchObject({ result: false, data: null })
    expect(answer.message).toBe('the input is nested too deeply to be processed')
    expect(answer.exc).toBeInstanceOf(RangeError)
  })
})
