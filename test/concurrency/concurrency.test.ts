import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { createEngine } from '@culm/engine'
import { type OpenedRuntime, openRuntime } from '@culm/store'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, describe, expect, it } from 'vitest'
import {
  type ChildReport,
  ConcurrencyTestError,
  callbackData,
  type ParentMessage,
  type PipelineInfo,
  type WorkerMessage,
} from './protocol.js'

/**
 * Four processes share one scratch MySQL database, each starting and running 50 pipelines with
 * a parallel gateway and callback nodes, while a fifth pauses, resumes and calls back nodes of
 * all of them through its own engine. The database must stay right under the contention: every
 * pipeline finishes, each callback node finishes once with its callback data, no history is
 * written (nothing was retried, skipped or re-entered) and no step fails on a deadlock or a lock
 * wait (the store retries those; the retries are printed).
 */

const RUNNERS = 4
const PIPELINES_PER_RUNNER = 50
/** Nodes of one pipeline (see `pipeline()` in worker.ts) and the root itself. */
const STATES_PER_PIPELINE = 11
const WORKER = resolve(import.meta.dirname, '../dist/concurrency/worker.js')

interface Child {
  name: string
  process: ChildProcess
  output: string[]
  report: Promise<ChildReport>
}

function spawnChild(name: string, args: string[], onMessage: (m: WorkerMessage) => void): Child {
  const child = spawn(process.execPath, [WORKER, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const output: string[] = []
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  const report = new Promise<ChildReport>((resolveReport, reject) => {
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'report') resolveReport(message.report)
      else onMessage(message)
    })
    child.on('exit', (code, signal) =>
      reject(
        new Error(
          `${name} exited (${code ?? signal}) without a report:\n${output.join('').slice(-4000)}`,
        ),
      ),
    )
  })
  return { name, process: child, output, report }
}

const parseJson = (value: unknown): unknown =>
  typeof value === 'string' ? JSON.parse(value) : value

describe('concurrency: 4 runner processes and a controller on one MySQL database', () => {
  let scratch: ScratchDatabase
  let store: OpenedRuntime
  const children: Child[] = []

  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill()
    await store?.close()
    await scratch?.drop()
  })

  it('finishes every pipeline, with each callback once and consistent histories', async () => {
    if (!existsSync(WORKER))
      throw new ConcurrencyTestError(
        `${WORKER} is missing: run npx turbo run build --filter=@culm/test... first`,
      )
    // Fails (does not skip) when MySQL cannot be reached.
    scratch = await createScratchDatabase()
    store = await openRuntime(scratch.url)

    const started = Date.now()
    const controller = spawnChild('controller', ['controller', scratch.url], () => undefined)
    children.push(controller)
    const tell = (message: ParentMessage) => controller.process.send(message)
    const pipelines: PipelineInfo[] = []
    let runnersStarted = 0
    for (let worker = 1; worker <= RUNNERS; worker++) {
      const runner = spawnChild(
        `runner ${worker}`,
        ['runner', scratch.url, String(worker), String(PIPELINES_PER_RUNNER)],
        (message) => {
          if (message.type !== 'started') return
          pipelines.push(...message.pipelines)
          tell({ type: 'pipelines', pipelines: message.pipelines })
          if (++runnersStarted === RUNNERS) tell({ type: 'all-started' })
        },
      )
      children.push(runner)
    }
    const reports = await Promise.all(children.map((child) => child.report))
    const elapsedMs = Date.now() - started

    const summary = reports.map((r) => ({
      child: r.role === 'controller' ? 'controller' : `runner ${r.worker}`,
      elapsedMs: r.elapsedMs,
      errors: r.errors.length,
      retries: r.retries.length,
      pauses: r.pauses,
      resumes: r.resumes,
      callbacks: Object.keys(r.callbacks).length,
      refusals: r.refusals,
    }))
    console.log(
      `concurrency run: ${elapsedMs} ms\n${JSON.stringify(summary, null, 2)}` +
        `\nretried deadlocks/lock waits:\n${reports.flatMap((r) => r.retries.slice(0, 5)).join('\n')}`,
    )

    // No step failed in any process (a deadlock or lock wait must be retried, not thrown).
    expect(reports.flatMap((r) => r.errors.map((e) => `${r.role} ${r.worker}: ${e}`))).toEqual([])
    expect(pipelines).toHaveLength(RUNNERS * PIPELINES_PER_RUNNER)
    expect(reports.flatMap((r) => r.unfinished)).toEqual([])

    const control = reports.find((r) => r.role === 'controller')!
    expect(control.pauses).toBe(pipelines.length)
    expect(control.resumes).toBe(pipelines.length)

    // Every node of every pipeline FINISHED, once: never retried, skipped or re-entered.
    const roots = pipelines.map((p) => p.rootId)
    const states = await store.db
      .selectFrom('culm_states')
      .select(['node_id', 'root_id', 'name', 'loop', 'retry', 'skip'])
      .where('root_id', 'in', roots)
      .execute()
    expect(states).toHaveLength(roots.length * STATES_PER_PIPELINE)
    const notFinished = states.filter((s) => s.name !== 'FINISHED')
    expect(notFinished.map((s) => `${s.node_id} ${s.name}`)).toEqual([])
    const rerun = states.filter((s) => s.loop !== 1 || s.retry !== 0 || Number(s.skip) !== 0)
    expect(rerun.map((s) => `${s.node_id} loop ${s.loop} retry ${s.retry} skip ${s.skip}`)).toEqual(
      [],
    )

    // Histories are written only when a node is retried, skipped or re-entered: none here.
    const histories = await store.db
      .selectFrom('culm_histories')
      .select(['node_id', 'loop', 'retry', 'skip'])
      .where(
        'node_id',
        'in',
        states.map((s) => s.node_id),
      )
      .execute()
    expect(histories).toEqual([])

    // Each callback node: called back once (by the controller), one consumed callback record,
    // its schedule run once in all the processes together, and the data in its outputs.
    const callbackNodes = pipelines.flatMap((p) => p.callbackNodes)
    const sum = (phase: 'execute' | 'schedule', nodeId: string) =>
      reports.reduce((n, r) => n + (r.componentCalls[phase][nodeId] ?? 0), 0)
    const records = await store.db
      .selectFrom('culm_callbacks')
      .select(['node_id', 'data', 'consumed'])
      .where('node_id', 'in', callbackNodes)
      .execute()
    const engine = createEngine({ runtime: store.runtime })
    const wrong: string[] = []
    for (const nodeId of callbackNodes) {
      const sent = control.callbacks[nodeId] ?? 0
      const mine = records.filter((r) => r.node_id === nodeId)
      const outputs = await engine.api.getExecutionDataOutputs({ nodeId })
      const got = (outputs.data as Record<string, unknown> | null)?.callback_data
      const problems = [
        sent !== 1 && `called back ${sent} times`,
        mine.length !== 1 && `${mine.length} callback records`,
        mine.some((r) => Number(r.consumed) !== 1) && 'a callback record not consumed',
        mine.some(
          (r) => JSON.stringify(parseJson(r.data)) !== JSON.stringify(callbackData(nodeId)),
        ) && 'callback record data differs',
        sum('execute', nodeId) !== 1 && `execute ran ${sum('execute', nodeId)} times`,
        sum('schedule', nodeId) !== 1 && `schedule ran ${sum('schedule', nodeId)} times`,
        JSON.stringify(got) !== JSON.stringify(callbackData(nodeId)) &&
          `outputs.callback_data is ${JSON.stringify(got)}`,
      ].filter(Boolean)
      if (problems.length > 0) wrong.push(`${nodeId}: ${problems.join(', ')}`)
    }
    expect(wrong).toEqual([])

    // Every other activity (debug_node) ran execute and schedule once, in whichever process.
    const activities = new Set(
      reports
        .flatMap((r) => Object.keys(r.componentCalls.execute))
        .filter((id) => !callbackNodes.includes(id)),
    )
    expect(activities.size).toBe(pipelines.length * 2)
    const doubled = [...activities]
      .map((id) => `${id}: execute ${sum('execute', id)}, schedule ${sum('schedule', id)}`)
      .filter((line) => !line.endsWith('execute 1, schedule 1'))
    expect(doubled).toEqual([])
  }, 150_000)
})
