import { setTimeout as sleep } from 'node:timers/promises'
import {
  type ComponentRunner,
  createEngine,
  type EngineAPIResult,
  InlineDispatcher,
} from '@culm/engine'
import { createTestkitRegistry } from '@culm/plugin-testkit'
import { openRuntime } from '@culm/store'
import {
  buildTree,
  ConvergeGateway,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ParallelGateway,
  ServiceActivity,
} from '@culm/tree'
import {
  type ChildReport,
  ConcurrencyTestError,
  callbackData,
  describeError,
  type ParentMessage,
  type PipelineInfo,
  type WorkerMessage,
} from './protocol.js'

/**
 * One child process of the concurrency test, spawned with `node worker.js <role> <url> ...`:
 * - `runner <url> <worker> <pipelines>` starts its pipelines, tells the parent their ids and
 *   runs them (until every one is FINISHED, whichever process ran their last steps);
 * - `controller <url>` gets every pipeline from the parent and pauses, resumes and calls back
 *   their nodes through its own engine over the same database.
 * Each ends by sending a `ChildReport` (the dispatcher's errors, the store's deadlock retries,
 * the component calls it made) and exits.
 */

const DEADLINE_MS = 75_000
const CONCURRENCY = 8

const send = (message: WorkerMessage): void => {
  process.send?.(message)
}

/** The components of the test kit, counting each call by phase and node. */
function countingComponents(report: ChildReport): ComponentRunner {
  const registry = createTestkitRegistry()
  return {
    info: (ref) => registry.info(ref),
    run: (ref, phase, input) => {
      const calls = report.componentCalls[phase]
      calls[input.nodeId] = (calls[input.nodeId] ?? 0) + 1
      return registry.run(ref, phase, input)
    },
    lazy: (code, value, context) => registry.lazy(code, value, context),
    hasLazy: (code) => registry.hasLazy(code),
  }
}

async function openEngine(url: string, report: ChildReport) {
  const opened = await openRuntime(url, {
    migrate: false,
    onRetry: (error, attempt) => report.retries.push(`attempt ${attempt}: ${describeError(error)}`),
  })
  const dispatcher = new InlineDispatcher({ concurrency: CONCURRENCY })
  const engine = createEngine({
    runtime: opened.runtime,
    dispatcher,
    components: countingComponents(report),
  })
  return { opened, dispatcher, engine }
}

const callbackNode = (): ServiceActivity => new ServiceActivity({ componentCode: 'callback_node' })
const debugNode = (): ServiceActivity => new ServiceActivity({ componentCode: 'debug_node' })

/**
 * start, a parallel gateway of three branches (callback then debug; debug then callback;
 * callback), the converge gateway, a last callback node, end: 10 nodes, 4 of them callbacks.
 */
function pipeline(): { tree: EngineTree; callbackNodes: string[] } {
  const start = new EmptyStartEvent()
  const pg = start.extend(new ParallelGateway())
  const cg = new ConvergeGateway()
  const first = callbackNode()
  const second = callbackNode()
  const third = callbackNode()
  const last = callbackNode()
  pg.extend(first).extend(debugNode()).extend(cg)
  pg.extend(debugNode()).extend(second).extend(cg)
  pg.extend(third).extend(cg)
  cg.extend(last).extend(new EmptyEndEvent())
  return {
    tree: buildTree(start),
    callbackNodes: [first.id, second.id, third.id, last.id],
  }
}

function newReport(role: ChildReport['role'], worker: number): ChildReport {
  return {
    role,
    worker,
    errors: [],
    retries: [],
    refusals: {},
    componentCalls: { execute: {}, schedule: {} },
    callbacks: {},
    pauses: 0,
    resumes: 0,
    unfinished: [],
    elapsedMs: 0,
  }
}

function refused(report: ChildReport, what: string, answer: EngineAPIResult<unknown>): void {
  // Ids make every message unique; the counts are by kind.
  const message = `${what}: ${answer.message.replace(/[0-9a-f]{32,}|[a-z]+[0-9a-z]{16}/g, '<id>')}`
  report.refusals[message] = (report.refusals[message] ?? 0) + 1
}

async function runner(url: string, worker: number, count: number): Promise<ChildReport> {
  const report = newReport('runner', worker)
  const { opened, dispatcher, engine } = await openEngine(url, report)
  const started = Date.now()
  try {
    const pipelines = Array.from({ length: count }, pipeline)
    const answers = await Promise.all(
      pipelines.map(({ tree }) => engine.api.runPipeline({ pipeline: tree })),
    )
    const infos: PipelineInfo[] = []
    answers.forEach((answer, i) => {
      if (answer.result) {
        infos.push({ rootId: pipelines[i]!.tree.id, callbackNodes: pipelines[i]!.callbackNodes })
      } else report.errors.push(`runPipeline refused: ${answer.message}`)
    })
    send({ type: 'started', worker, pipelines: infos })
    const roots = infos.map((info) => info.rootId)
    let unfinished = roots
    while (unfinished.length > 0 && Date.now() - started < DEADLINE_MS) {
      await sleep(200)
      const states = await opened.runtime.getStates(unfinished)
      unfinished = unfinished.filter(
        (id) => states.find((state) => state.nodeId === id)?.name !== 'FINISHED',
      )
    }
    await dispatcher.idle()
    report.unfinished = unfinished
  } finally {
    report.errors.push(...dispatcher.errors.map(describeError))
    report.elapsedMs = Date.now() - started
    dispatcher.close()
    await opened.close()
  }
  return report
}

/** The state name and version of a node, as the engine API answers them. */
async function nodeState(
  engine: Awaited<ReturnType<typeof openEngine>>['engine'],
  nodeId: string,
): Promise<{ state: string; version: string } | undefined> {
  const answer = await engine.api.getChildrenStates({ nodeId })
  const entry = (answer.data as Record<string, { state: string; version: string }> | null)?.[nodeId]
  return entry ? { state: entry.state, version: entry.version } : undefined
}

/**
 * What the controller does to one pipeline: it is paused after `pauseAfter` of its callbacks
 * (0 to 3, so before its last one) and resumed `pauseMs` later; every callback node is called
 * back once, when it is RUNNING.
 */
interface Plan {
  info: PipelineInfo
  pending: string[]
  pauseAfter: number
  pauseMs: number
  pausedAt: number | undefined
  phase: 'before-pause' | 'paused' | 'resumed'
}

async function controller(
  url: string,
  incoming: AsyncIterable<PipelineInfo>,
  allStarted: Promise<void>,
): Promise<ChildReport> {
  const report = newReport('controller', 0)
  const { opened, dispatcher, engine } = await openEngine(url, report)
  const started = Date.now()
  const plans: Plan[] = []
  let arrived = false
  void allStarted.then(() => {
    arrived = true
  })
  void (async () => {
    for await (const info of incoming) {
      plans.push({
        info,
        pending: [...info.callbackNodes],
        pauseAfter: Math.floor(Math.random() * 4),
        pauseMs: 20 + Math.floor(Math.random() * 80),
        pausedAt: undefined,
        phase: 'before-pause',
      })
    }
  })()

  const step = async (plan: Plan): Promise<void> => {
    const { rootId } = plan.info
    const sent = plan.info.callbackNodes.length - plan.pending.length
    if (plan.phase === 'before-pause' && sent >= plan.pauseAfter) {
      const answer = await engine.api.pausePipeline({ pipelineId: rootId })
      if (answer.result) {
        report.pauses++
        plan.phase = 'paused'
        plan.pausedAt = Date.now()
      } else refused(report, 'pausePipeline', answer)
      return
    }
    if (plan.phase === 'paused') {
      if (Date.now() - plan.pausedAt! < plan.pauseMs) return
      const answer = await engine.api.resumePipeline({ pipelineId: rootId })
      if (answer.result) {
        report.resumes++
        plan.phase = 'resumed'
      } else refused(report, 'resumePipeline', answer)
      return
    }
    // Before the pause, only as many callbacks as `pauseAfter`; while paused, none more.
    const budget = plan.phase === 'resumed' ? plan.pending.length : plan.pauseAfter - sent
    for (const nodeId of [...plan.pending].slice(0, Math.max(0, budget))) {
      const state = await nodeState(engine, nodeId)
      if (state?.state !== 'RUNNING') continue
      const data = callbackData(nodeId)
      const answer = await engine.api.callback({ nodeId, version: state.version, data })
      if (answer.result) {
        report.callbacks[nodeId] = (report.callbacks[nodeId] ?? 0) + 1
        plan.pending.splice(plan.pending.indexOf(nodeId), 1)
      } else refused(report, 'callback', answer)
    }
  }

  try {
    const done = (plan: Plan) => plan.phase === 'resumed' && plan.pending.length === 0
    while (Date.now() - started < DEADLINE_MS) {
      const open = plans.filter((plan) => !done(plan))
      if (arrived && open.length === 0) break
      // A few pipelines at once, in a random order, so that the calls interleave with the runners.
      open.sort(() => Math.random() - 0.5)
      for (let i = 0; i < open.length; i += CONCURRENCY) {
        await Promise.all(open.slice(i, i + CONCURRENCY).map(step))
      }
      await sleep(10)
    }
    for (const plan of plans) {
      if (!done(plan))
        report.unfinished.push(
          `${plan.info.rootId} (${plan.phase}, ${plan.pending.length} callbacks not sent)`,
        )
    }
    await dispatcher.idle()
  } finally {
    report.errors.push(...dispatcher.errors.map(describeError))
    report.elapsedMs = Date.now() - started
    dispatcher.close()
    await opened.close()
  }
  return report
}

/** The pipelines the parent forwards, as an async iterable; `allStarted` when no more come. */
function fromParent(): { incoming: AsyncIterable<PipelineInfo>; allStarted: Promise<void> } {
  const queue: PipelineInfo[] = []
  let wake: (() => void) | undefined
  let ended = false
  let resolveAll!: () => void
  const allStarted = new Promise<void>((resolve) => {
    resolveAll = resolve
  })
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'pipelines') queue.push(...message.pipelines)
    else if (message.type === 'all-started') {
      ended = true
      resolveAll()
    }
    wake?.()
  })
  const incoming = {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!
        if (ended) return
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    },
  }
  return { incoming, allStarted }
}

async function main(): Promise<void> {
  const [role, url, worker, count] = process.argv.slice(2)
  if (!url)
    throw new ConcurrencyTestError('usage: worker.js runner|controller <url> [worker] [pipelines]')
  let report: ChildReport
  if (role === 'runner') report = await runner(url, Number(worker), Number(count))
  else if (role === 'controller') {
    const { incoming, allStarted } = fromParent()
    report = await controller(url, incoming, allStarted)
  } else throw new ConcurrencyTestError(`unknown role ${role}`)
  send({ type: 'report', report })
  process.disconnect?.()
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
  process.disconnect?.()
})
