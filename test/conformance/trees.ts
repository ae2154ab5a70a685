import {
  buildTree,
  ConditionalParallelGateway,
  ConvergeGateway,
  Data,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ExclusiveGateway,
  NodeOutput,
  ParallelGateway,
  ServiceActivity,
  type ServiceActivityOptions,
  SubProcess,
  Var,
} from '@culm/tree'

/** A service activity of the test kit with plain inputs. */
export function act(
  code: string,
  inputs: Record<string, unknown> = {},
  options: Partial<ServiceActivityOptions> = {},
): ServiceActivity {
  const activity = new ServiceActivity({ componentCode: code, ...options })
  for (const [key, value] of Object.entries(inputs)) {
    const splice = typeof value === 'string' && value.includes('${')
    activity.component.inputs[key] = new Var({ type: splice ? 'splice' : 'plain', value })
  }
  return activity
}

/** start -> activities... -> end */
export function sequence(...activities: ServiceActivity[]): EngineTree {
  const start = new EmptyStartEvent()
  let tail: ServiceActivity | EmptyStartEvent = start
  for (const activity of activities) tail = tail.extend(activity)
  tail.extend(new EmptyEndEvent())
  return buildTree(start)
}

/**
 * start -> fail_ctrl_node (fails) -> debug_node reading `${r}` -> end, where `${r}` is fed by the
 * failing node's `_result`: what a skip copies into the context shows in `after`'s outputs.
 */
export function failingThenReading() {
  const failing = act('fail_ctrl_node', { bit: 0 })
  const after = act('debug_node', { seen: '${r}' })
  const tree = sequence(failing, after)
  tree.data.inputs['${r}'] = {
    type: 'plain',
    value: 'initial',
    source_act: failing.id,
    source_key: '_result',
  }
  return { tree, failing, after }
}

/** start -> before -> parallel(branches) -> converge -> after -> end */
export function parallel(
  branches: ServiceActivity[],
  kind: 'pg' | 'cpg' = 'pg',
  conditions: string[] = [],
) {
  const start = new EmptyStartEvent()
  const gateway =
    kind === 'pg'
      ? new ParallelGateway()
      : new ConditionalParallelGateway({
          conditions: Object.fromEntries(conditions.map((c, i) => [i, c])),
        })
  const converge = new ConvergeGateway()
  const after = act('debug_node')
  start
    .extend(gateway)
    .connect(...branches)
    .converge(converge)
    .extend(after)
    .extend(new EmptyEndEvent())
  return { tree: buildTree(start), gateway, converge, after }
}

/** An exclusive gateway on `${value}` with one branch per condition. */
export function exclusive(value: unknown, conditions: string[], defaultIndex?: number) {
  const start = new EmptyStartEvent()
  const gateway = new ExclusiveGateway({
    conditions: Object.fromEntries(conditions.map((c, i) => [i, c])),
    ...(defaultIndex !== undefined ? { defaultConditionOutgoing: defaultIndex } : {}),
  })
  const branches = [
    ...conditions,
    ...(defaultIndex !== undefined && defaultIndex >= conditions.length ? ['default'] : []),
  ].map(() => act('debug_node'))
  const converge = new ConvergeGateway()
  start
    .extend(gateway)
    .connect(...branches)
    .converge(converge)
    .extend(new EmptyEndEvent())
  const tree = buildTree(start, {
    data: new Data({ inputs: { '${value}': new Var({ type: 'plain', value }) } }),
  })
  return { tree, gateway, branches }
}

/** A subprocess whose inner activity copies `${p}` into its output `echo`, exported as `${out}`. */
export function withSubprocess(param: unknown) {
  const innerStart = new EmptyStartEvent()
  const inner = act('debug_node', { echo: '${p}' })
  innerStart.extend(inner).extend(new EmptyEndEvent())
  const sub = new SubProcess({
    start: innerStart,
    data: new Data({
      inputs: {
        '${p}': new Var({ type: 'plain', value: 'default' }),
        '${out}': new NodeOutput({ sourceAct: inner.id, sourceKey: 'echo' }),
      },
      outputs: ['${out}'],
    }),
    params: { '${p}': new Var({ type: 'splice', value: '${outer}' }) },
  })
  const after = act('debug_node', { seen: '${result}' })
  const start = new EmptyStartEvent()
  start.extend(sub).extend(after).extend(new EmptyEndEvent())
  const tree = buildTree(start, {
    data: new Data({
      inputs: {
        '${outer}': new Var({ type: 'plain', value: param }),
        '${result}': new NodeOutput({ sourceAct: sub.id, sourceKey: '${out}' }),
      },
      outputs: ['${result}'],
    }),
  })
  return { tree, sub, inner, after }
}
