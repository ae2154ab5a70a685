import { randomBytes } from 'node:crypto'
import {
  buildTree,
  ConvergeGateway,
  Data,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ParallelGateway,
  ServiceActivity,
  SubProcess,
  Var,
} from '@culm/tree'

/** A test-kit activity with a name the browser finds it by, and plain inputs. */
export function step(code: string, name: string, inputs: Record<string, unknown> = {}) {
  const activity = new ServiceActivity({ componentCode: code, name })
  for (const [key, value] of Object.entries(inputs)) {
    activity.component.inputs[key] = new Var({ type: 'plain', value })
  }
  return activity
}

/** start -> steps... -> end, in the engine format (`run_pipeline`). */
export function engineSequence(...steps: ServiceActivity[]): EngineTree {
  const start = new EmptyStartEvent()
  let tail: ServiceActivity | EmptyStartEvent = start
  for (const s of steps) tail = tail.extend(s)
  tail.extend(new EmptyEndEvent())
  return buildTree(start)
}

const platformId = (prefix: 'node' | 'line') => `${prefix}${randomBytes(16).toString('hex')}`

/**
 * start -> steps... -> end in the platform format the task API takes: each step is
 * `[code, name, inputs]`, its inputs plain values (`hook: false`).
 */
export function platformSequence(
  steps: [code: string, name: string, inputs: Record<string, unknown>][],
): Record<string, unknown> {
  const chain = [platformId('node'), ...steps.map(() => platformId('node')), platformId('node')]
  const flows: Record<string, unknown> = {}
  const incoming: Record<string, string> = {}
  const outgoing: Record<string, string> = {}
  for (let i = 0; i < chain.length - 1; i++) {
    const id = platformId('line')
    flows[id] = { id, source: chain[i], target: chain[i + 1], is_default: false }
    outgoing[chain[i]!] = id
    incoming[chain[i + 1]!] = id
  }
  const activities: Record<string, unknown> = {}
  steps.forEach(([code, name, inputs], i) => {
    const id = chain[i + 1]!
    activities[id] = {
      id,
      type: 'ServiceActivity',
      name,
      incoming: incoming[id],
      outgoing: outgoing[id],
      component: {
        code,
        data: Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [k, { hook: false, value: v }]),
        ),
      },
      error_ignorable: false,
      retryable: true,
      skippable: true,
    }
  })
  const start = chain[0]!
  const end = chain[chain.length - 1]!
  return {
    start_event: {
      id: start,
      type: 'EmptyStartEvent',
      name: '',
      incoming: '',
      outgoing: outgoing[start],
    },
    end_event: { id: end, type: 'EmptyEndEvent', name: '', incoming: incoming[end], outgoing: '' },
    activities,
    gateways: {},
    flows,
    constants: {},
    outputs: [],
  }
}

/**
 * prepare -> parallel(flaky step that fails | subprocess(inner step -> inner wait)) -> converge
 * -> wrap up: a run that shows every colour at once, a subprocess opened in place.
 */
export function showcaseTree(): { tree: EngineTree; subprocess: SubProcess } {
  const innerStart = new EmptyStartEvent()
  innerStart
    .extend(step('debug_node', 'inner step'))
    .extend(step('callback_node', 'inner wait'))
    .extend(new EmptyEndEvent())
  const subprocess = new SubProcess({ start: innerStart, name: 'deploy batch', data: new Data({}) })
  const start = new EmptyStartEvent()
  start
    .extend(step('debug_node', 'prepare'))
    .extend(new ParallelGateway())
    .connect(step('fail_ctrl_node', 'flaky step', { bit: 0 }), subprocess)
    .converge(new ConvergeGateway())
    .extend(step('debug_node', 'wrap up'))
    .extend(new EmptyEndEvent())
  return { tree: buildTree(start), subprocess }
}
