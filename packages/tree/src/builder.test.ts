import { describe, expect, it } from 'vitest'
import { buildTree } from './builder/build-tree.js'
import { Data, DataInput, NodeOutput, Params, RewritableNodeOutput, Var } from './builder/data.js'
import {
  ConditionalParallelGateway,
  ConvergeGateway,
  EmptyEndEvent,
  EmptyStartEvent,
  ExclusiveGateway,
  ExecutableEndEvent,
  ParallelGateway,
  ServiceActivity,
  SubProcess,
} from './builder/elements.js'
import { BuilderError } from './errors.js'
import type {
  ServiceActivityNode as ActivityJSON,
  ConditionalGateway,
  SubProcessNode as SubJSON,
} from './types.js'
import { validateTree } from './validator/validate.js'

const act = (id?: string) =>
  new ServiceActivity({ componentCode: 'debug_node', ...(id ? { id } : {}) })

describe('buildTree', () => {
  it('builds a sequence that the validator accepts, with ids in the Python form', () => {
    const start = new EmptyStartEvent()
    const a = act()
    a.component.inputs.message = new Var({ type: Var.PLAIN, value: 'hi' })
    start.extend(a).extend(act()).extend(new EmptyEndEvent())
    const tree = buildTree(start)
    expect(tree.id).toMatch(/^p[0-9a-f]{32}$/)
    expect(tree.start_event.id).toMatch(/^e[0-9a-f]{32}$/)
    expect(Object.keys(tree.flows).every((id) => /^f[0-9a-f]{32}$/.test(id))).toBe(true)
    expect(Object.keys(tree.activities)).toHaveLength(2)
    expect((tree.activities[a.id] as ActivityJSON).component.inputs).toEqual({
      message: { type: 'plain', value: 'hi' },
    })
    expect(tree.data).toEqual({ inputs: {}, outputs: [] })
    expect(validateTree(tree).problems).toEqual([])
  })

  it('builds a parallel block with converge() and matches its converge gateway', () => {
    const start = new EmptyStartEvent()
    const pg = new ParallelGateway()
    const cg = new ConvergeGateway()
    start.extend(pg).connect(act(), act(), act()).converge(cg).extend(new EmptyEndEvent())
    const tree = buildTree(start)
    expect(tree.gateways[pg.id]).toMatchObject({ type: 'ParallelGateway' })
    expect((tree.gateways[pg.id]!.outgoing as string[]).length).toBe(3)
    expect(tree.gateways[cg.id]!.incoming).toHaveLength(3)
    const result = validateTree(tree)
    expect(result.problems).toEqual([])
    expect(result.tree.gateways[pg.id]!.converge_gateway_id).toBe(cg.id)
  })

  it('binds exclusive conditions to outgoing flows by index, with a default flow', () => {
    const start = new EmptyStartEvent()
    const eg = new ExclusiveGateway({
      conditions: { 0: '${a} == 1', 1: '${a} == 2' },
      defaultConditionOutgoing: 2,
    })
    const [a1, a2, a3] = [act('a1'), act('a2'), act('a3')]
    const cg = new ConvergeGateway()
    start.extend(eg).connect(a1, a2, a3).converge(cg).extend(new EmptyEndEvent())
    const tree = buildTree(start, {
      data: new Data({ inputs: { '${a}': new Var({ type: 'plain', value: 1 }) } }),
    })
    const gateway = tree.gateways[eg.id] as ConditionalGateway
    const [f1, f2, f3] = gateway.outgoing
    expect(tree.flows[f1!]!.target).toBe('a1')
    expect(gateway.conditions).toEqual({
      [f1!]: { evaluate: '${a} == 1' },
      [f2!]: { evaluate: '${a} == 2' },
    })
    expect(gateway.default_condition).toEqual({ flow_id: f3 })
    expect(validateTree(tree).problems).toEqual([])
  })

  it('builds a conditional parallel gateway and the first-true strategy', () => {
    const start = new EmptyStartEvent()
    const cpg = new ConditionalParallelGateway({ conditions: { 0: 'True', 1: '${x} > 1' } })
    const eg = new ExclusiveGateway({ conditions: { 0: 'True', 1: 'True' }, strategy: 'first' })
    const cg1 = new ConvergeGateway()
    const cg2 = new ConvergeGateway()
    start
      .extend(cpg)
      .connect(act(), act())
      .converge(cg1)
      .extend(eg)
      .connect(act(), act())
      .converge(cg2)
      .extend(new EmptyEndEvent())
    const tree = buildTree(start, {
      data: { inputs: { '${x}': { type: 'plain', value: 2 } }, outputs: [] },
    })
    expect((tree.gateways[eg.id] as ConditionalGateway).extra_info).toEqual({ strategy: 'first' })
    expect(validateTree(tree).problems).toEqual([])
  })

  it('builds nested subprocesses whose trees carry the subprocess id', () => {
    const innerStart = new EmptyStartEvent()
    innerStart.extend(act()).extend(new EmptyEndEvent())
    const sub = new SubProcess({
      start: innerStart,
      data: new Data({
        inputs: { '${p}': new DataInput({ type: 'plain', value: 'default' }) },
        outputs: ['${p}'],
      }),
      params: new Params({ '${p}': new Var({ type: 'splice', value: '${outer}' }) }),
    })
    const start = new EmptyStartEvent()
    start.extend(sub).extend(new EmptyEndEvent())
    const tree = buildTree(start, {
      data: new Data({
        inputs: {
          '${outer}': new Var({ type: 'plain', value: 'x' }),
          '${result}': new NodeOutput({ sourceAct: sub.id, sourceKey: '${p}' }),
        },
      }),
    })
    const subJSON = tree.activities[sub.id] as SubJSON
    expect(subJSON.pipeline.id).toBe(sub.id)
    expect(subJSON.params).toEqual({ '${p}': { type: 'splice', value: '${outer}' } })
    expect(subJSON.pipeline.data?.inputs['${p}']).toEqual({
      type: 'plain',
      value: 'default',
      is_param: true,
    })
    expect(tree.data.inputs['${result}']).toEqual({
      type: 'plain',
      value: null,
      source_act: sub.id,
      source_key: '${p}',
    })
    expect(validateTree(tree).problems).toEqual([])
  })

  it('builds a loop back through an exclusive gateway, valid when cycles are tolerated', () => {
    const start = new EmptyStartEvent()
    const first = act()
    const eg = new ExclusiveGateway({ conditions: { 0: '${_loop} < 3', 1: '${_loop} >= 3' } })
    start.extend(first).extend(act()).extend(eg).connect(first, new EmptyEndEvent())
    const tree = buildTree(start)
    expect(tree.activities[first.id]!.incoming).toHaveLength(2)
    expect(validateTree(tree).valid).toBe(false)
    expect(validateTree(tree, { cycleTolerate: true }).problems).toEqual([])
  })

  it('keeps rewritable outputs, executable end events and activity settings', () => {
    const start = new EmptyStartEvent()
    const a = new ServiceActivity({
      componentCode: 'sleep_timer',
      componentVersion: '1.0',
      errorIgnorable: true,
      skippable: false,
      retryable: false,
      timeout: 5,
      autoRetry: { enable: true, times: 2, interval: 1 },
    })
    start.extend(a).extend(new ExecutableEndEvent({ type: 'MyEnd' }))
    const tree = buildTree(start, {
      data: new Data({
        inputs: {
          '${r}': new RewritableNodeOutput({ sources: [{ sourceAct: a.id, sourceKey: 'k' }] }),
        },
      }),
    })
    expect(tree.activities[a.id]).toMatchObject({
      component: { code: 'sleep_timer', version: '1.0' },
      error_ignorable: true,
      skippable: false,
      retryable: false,
      timeout: 5,
      auto_retry: { enable: true, times: 2, interval: 1 },
    })
    expect(tree.end_event.type).toBe('MyEnd')
    expect(tree.data.inputs['${r}']).toMatchObject({
      source_act: [{ source_act: a.id, source_key: 'k' }],
    })
    expect(validateTree(tree, { sinkTypes: ['MyEnd'] }).problems).toEqual([])
  })

  it('refuses elements that do not make a tree', () => {
    const start = new EmptyStartEvent()
    start.extend(act())
    expect(() => buildTree(start)).toThrow(BuilderError)
    const gatewayStart = new EmptyStartEvent()
    gatewayStart.extend(new ExclusiveGateway({ conditions: { 0: 'True' } })).connect(act(), act())
    expect(() => buildTree(gatewayStart)).toThrow(/no condition for outgoing 1/)
  })
})
