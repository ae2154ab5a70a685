import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { openRuntime } from '@culm/store'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { uniqueId } from '@culm/tree'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACTIVITY_COUNT,
  COUNTED_CODE,
  crashActivities,
  type LoggedRun,
  readRuns,
} from './pipeline.js'

// The worker runs compiled: `npx turbo run build --filter=@culm/test...` puts it here.
const WORKER = join(dirname(fileURLToPath(import.meta.url)), '../dist/crash/worker.js')

/** How many times a worker is killed, at least (the exact number is drawn per run). */
const MIN_KILLS = 5
const MAX_KILLS = 8
/**
 * A worker is killed after a number of counted execute calls drawn so that work is left for the
 * kills still to come, and then this long more (drawn at random), so that the kill lands anywhere
 * in a step: before, during or after its commit.
 */
const KILL_JITTER_MS = { min: 0, max: 15 }
/** A worker that prints nothing new for this long is stuck. */
const STALL_MS = 20_000

interface WorkerRun {
  pid: number
  mode: 'start' | 'recover'
  /** Set when the test killed the worker, with the FINISHED count it had last printed. */
  killedAt?: { afterMs: number; finished: number; runs: number }
  code: number | null
  signal: NodeJS.Signals | null
  done?: string
  runs: number
  stderr: string
}

function randomBetween(range: { min: number; max: number }): number {
  return range.min + Math.floor(Math.random() * (range.max - range.min + 1))
}

/**
 * Spawns one worker; with `kill`, kills it with SIGKILL `jitterMs` after its `afterRuns`-th counted
 * execute call (if it has not finished by then). `onRun` sees every counted call's node id.
 */
function runWorker(
  url: string,
  logFile: string,
  options: {
    mode: 'start' | 'recover'
    pipelineId: string
    kill?: { afterRuns: number; jitterMs: number }
    onRun?: (nodeId: string) => void
  },
): Promise<WorkerRun> {
  const child = spawn(process.execPath, [WORKER, url, logFile, options.mode, options.pipelineId], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const run: WorkerRun = {
    pid: child.pid ?? -1,
    mode: options.mode,
    code: null,
    signal: null,
    runs: 0,
    stderr: '',
  }
  let finished = 0
  let killTimer: NodeJS.Timeout | undefined
  let stallTimer: NodeJS.Timeout | undefined
  const alive = () => {
    clearTimeout(stallTimer)
    stallTimer = setTimeout(() => {
      run.stderr += `stalled: no output for ${STALL_MS} ms\n`
      child.kill('SIGKILL')
    }, STALL_MS)
  }
  alive()
  createInterface({ input: child.stdout }).on('line', (line) => {
    alive()
    const [kind, ...rest] = line.split(' ')
    if (kind === 'finished') finished = Number(rest[0])
    else if (kind === 'done') run.done = rest[0]
    else if (kind === 'run') {
      run.runs++
      options.onRun?.(rest[0] ?? '')
      const kill = options.kill
      if (kill && run.runs === kill.afterRuns) {
        const started = Date.now()
        killTimer = setTimeout(() => {
          if (run.done !== undefined) return
          run.killedAt = { afterMs: Date.now() - started, finished, runs: run.runs }
          child.kill('SIGKILL')
        }, kill.jitterMs)
      }
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    run.stderr += chunk
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(killTimer)
      clearTimeout(stallTimer)
      run.code = code
      run.signal = signal
      resolve(run)
    })
  })
}

describe('crash recovery on MySQL', () => {
  let scratch: ScratchDatabase | undefined
  let workDir: string | undefined

  beforeAll(async () => {
    // No skip: an unreachable MariaDB fails here with the connection error.
    scratch = await createScratchDatabase()
    workDir = mkdtempSync(join(tmpdir(), 'culm-crash-'))
  })

  afterAll(async () => {
    await scratch?.drop()
    if (workDir) rmSync(workDir, { recursive: true, force: true })
  })

  it('finishes a 200-activity pipeline through SIGKILLs, every output written once', async () => {
    expect(existsSync(WORKER), `${WORKER} is missing: build with turbo first`).toBe(true)
    const url = scratch!.url
    const logFile = join(workDir!, 'side-effects.jsonl')
    const pipelineId = uniqueId('p')
    const began = Date.now()

    // Kill workers until enough kills have landed while the pipeline made progress.
    const kills = randomBetween({ min: MIN_KILLS, max: MAX_KILLS })
    const counted = crashActivities(pipelineId).filter((a) => a.code === COUNTED_CODE).length
    const executed = new Set<string>()
    const workers: WorkerRun[] = []
    while (workers.filter((w) => w.killedAt).length < kills) {
      // Each kill may take at most an equal share of what is left, so every kill finds work.
      const killsLeft = kills - workers.filter((w) => w.killedAt).length
      const share = Math.floor((counted - executed.size) / (killsLeft + 1))
      const worker = await runWorker(url, logFile, {
        mode: workers.length === 0 ? 'start' : 'recover',
        pipelineId,
        kill: {
          afterRuns: randomBetween({ min: 1, max: Math.max(1, share) }),
          jitterMs: randomBetween(KILL_JITTER_MS),
        },
        onRun: (nodeId) => executed.add(nodeId),
      })
      workers.push(worker)
      if (!worker.killedAt) {
        expect.fail(
          `worker ${workers.length} (${worker.mode}) ended before its kill: code ${worker.code}, ` +
            `done ${worker.done}, stderr:\n${worker.stderr}`,
        )
      }
      expect(worker.signal).toBe('SIGKILL')
    }
    const last = await runWorker(url, logFile, { mode: 'recover', pipelineId })
    workers.push(last)
    expect(last.stderr).toBe('')
    expect(last.done).toBe('FINISHED')
    expect(last.code).toBe(0)
    // Steps of the killed workers must not have thrown either (a kill only cuts them short).
    expect(workers.map((w) => w.stderr).filter((text) => text !== '')).toEqual([])

    const opened = await openRuntime(url, { migrate: false })
    try {
      const { runtime } = opened
      expect((await runtime.getState(pipelineId))?.name).toBe('FINISHED')

      const activities = crashActivities(pipelineId)
      expect(activities).toHaveLength(ACTIVITY_COUNT)
      const states = new Map(
        (await runtime.getStates(activities.map((a) => a.id))).map((s) => [s.nodeId, s]),
      )
      const runsByNode = new Map<string, LoggedRun[]>()
      for (const logged of readRuns(logFile)) {
        const list = runsByNode.get(logged.nodeId) ?? []
        list.push(logged)
        runsByNode.set(logged.nodeId, list)
      }
      const killedPids = new Set(workers.filter((w) => w.killedAt).map((w) => w.pid))
      let duplicated = 0
      let extraRuns = 0
      const problems: string[] = []
      const system = { _result: true, _loop: 1, _inner_loop: 1 }
      for (const activity of activities) {
        const where = `activity ${activity.index} (${activity.id}, ${activity.code})`
        const state = states.get(activity.id)
        if (state?.name !== 'FINISHED' || state.loop !== 1 || state.retry !== 0 || state.skip) {
          problems.push(
            `${where}: state ${state?.name} loop ${state?.loop} retry ${state?.retry} skip ${state?.skip}`,
          )
        }
        const histories = await runtime.getHistories(activity.id)
        if (histories.length > 0) problems.push(`${where}: ${histories.length} histories (re-run)`)
        const outputs = (await runtime.getExecutionData(activity.id))?.outputs
        const runs = runsByNode.get(activity.id) ?? []
        // The committed outputs are those of the last call: no call lost, none applied twice.
        const expected =
          activity.code === COUNTED_CODE
            ? { node_id: activity.id, run: runs.length, ...system }
            : { index: activity.index, ...system }
        if (!isDeepStrictEqual(outputs, expected)) {
          problems.push(
            `${where}: outputs ${JSON.stringify(outputs)}, expected ${JSON.stringify(expected)}`,
          )
        }
        if (activity.code !== COUNTED_CODE) continue
        if (runs.length === 0) problems.push(`${where}: never executed`)
        if (runs.some((r, i) => r.run !== i + 1)) problems.push(`${where}: runs out of order`)
        // Only a call made by a worker that was killed afterwards may have been made again.
        for (const earlier of runs.slice(0, -1)) {
          if (!killedPids.has(earlier.pid))
            problems.push(
              `${where}: run ${earlier.run} by worker ${earlier.pid} (not killed) was repeated`,
            )
        }
        if (runs.length > 1) {
          duplicated++
          extraRuns += runs.length - 1
        }
      }
      const logged = [...runsByNode.keys()].filter(
        (id) => !id.startsWith(`e${pipelineId.slice(1, 29)}`),
      )
      expect(logged, 'runs of nodes outside the pipeline').toEqual([])
      console.log(
        `crash test: ${kills} kills (${workers
          .filter((w) => w.killedAt)
          .map(
            (w) =>
              `${w.killedAt!.runs} runs+${w.killedAt!.afterMs}ms/${w.killedAt!.finished} finished`,
          )
          .join(', ')}); ${workers.length} workers; ` +
          `${duplicated} of ${counted} counted activities executed more than once ` +
          `(${extraRuns} extra calls); ${Date.now() - began} ms`,
      )
      expect(problems).toEqual([])
    } finally {
      await opened.close()
    }
  }, 110_000)
})
