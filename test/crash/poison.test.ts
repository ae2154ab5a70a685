import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MAX_RECOVERIES } from '@culm/engine'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { uniqueId } from '@culm/tree'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const WORKER = join(dirname(fileURLToPath(import.meta.url)), '../dist/crash/poison-worker.js')

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function runWorker(
  url: string,
  mode: 'start' | 'recover',
  pipelineId: string,
  killer: string,
  how: 'kill' | 'hang' = 'kill',
) {
  const child = spawn(process.execPath, [WORKER, url, mode, pipelineId, killer, how], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const run: Run = { code: null, signal: null, stdout: '', stderr: '' }
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString()
  })
  return new Promise<Run>((resolve) =>
    child.once('exit', (code, signal) => resolve({ ...run, code, signal })),
  )
}

for (const how of ['kill', 'hang'] as const) {
  describe(`a step that ${how === 'kill' ? 'kills' : 'blocks the event loop of'} its worker on MySQL`, () => {
    let scratch: ScratchDatabase
    beforeAll(async () => {
      scratch = await createScratchDatabase()
    })
    afterAll(async () => {
      await scratch?.drop()
    })

    it('is not run again forever: after a few restarts its node is FAILED and the worker serves', async () => {
      const pipelineId = uniqueId('p')
      const killer = uniqueId('e')
      const first = await runWorker(scratch.url, 'start', pipelineId, killer, how)
      expect(first.signal).toBe('SIGKILL')
      if (how === 'hang') expect(first.stderr).toMatch(/the event loop has not answered for \d+ ms/)
      const restarts: Run[] = []
      for (let i = 0; i < 2 * MAX_RECOVERIES + 2; i++) {
        const run = await runWorker(scratch.url, 'recover', pipelineId, killer, how)
        restarts.push(run)
        if (run.signal === null) break
        expect(run.signal).toBe('SIGKILL')
      }
      const last = restarts.at(-1)!
      expect(last.stderr).toBe('')
      expect(last.code).toBe(0)
      // Each restart but the last was killed by the node again; the last failed it instead. The
      // worker first went down in a group of steps (picked up where the group began), then one
      // node a step until the node that kills it is where it stands: at most twice the limit.
      expect(restarts.slice(0, -1).every((run) => run.signal === 'SIGKILL')).toBe(true)
      // A loaded machine may hold a start-up past the watchdog's two seconds once more.
      expect(restarts.length).toBeLessThanOrEqual(2 * MAX_RECOVERIES + (how === 'hang' ? 1 : 0))
      expect(last.stdout).toMatch(/^ready \{"processes":0,"schedules":0,"quarantined":1\}$/m)
      const quiet = JSON.parse(/^quiet (.*)$/m.exec(last.stdout)![1]!) as {
        state: string
        outputs: { ex_data: string }
      }
      expect(quiet.state).toBe('FAILED')
      expect(quiet.outputs.ex_data).toBe(
        `engine step failed: the worker stopped ${MAX_RECOVERIES} times while running this node; it is not run again`,
      )
    }, 120_000)
  })
}
