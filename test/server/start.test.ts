import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const MAIN = join(dirname(fileURLToPath(import.meta.resolve('@culm/server'))), 'main.js')

/** The server process `npm start` runs, and its output so far. */
interface Started {
  child: ChildProcess
  output: string
  url: string
  token: string | undefined
  exit: Promise<number | null>
}

/** A process start bundles plugins and migrates a database: slower than a unit test on a busy machine. */
const START_TIMEOUT_MS = 60_000

/** Starts `node apps/server/dist/main.js` (test kit only) and waits until it says where it listens. */
function startMain(env: Record<string, string>, cwd: string): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: {
      ...process.env,
      CULM_PORT: '0',
      CULM_LOG_LEVEL: 'warn',
      CULM_PLUGINS: 'testkit',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const url = /Culm listens on (\S+)/.exec(output)?.[1]
      if (url && output.includes('\n', output.indexOf(url))) {
        const token = /First admin token[^:]*: (\S+)/.exec(output)?.[1]
        resolve({ child, output, url, token, exit })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exit.then((code) =>
      reject(new Error(`server exited with ${code} before listening:\n${output}`)),
    )
  })
}

for (const database of ['sqlite', 'mysql'] as const) {
  describe(`npm start's server process on ${database}`, () => {
    const folder = mkdtempSync(join(tmpdir(), 'culm-start-'))
    let scratch: ScratchDatabase | undefined
    let url = ''
    beforeAll(async () => {
      if (database === 'mysql') scratch = await createScratchDatabase()
      url = scratch ? scratch.url : `sqlite:${join(folder, 'culm.db')}`
    })
    afterAll(async () => {
      rmSync(folder, { recursive: true, force: true })
      await scratch?.drop()
    })

    it(
      'prints its URL and a first admin token on a fresh database, and stops on SIGTERM',
      async () => {
        const first = await startMain({ CULM_DATABASE_URL: url }, folder)
        expect(first.token).toMatch(/^culm_/)
        const health = await fetch(`${first.url}/healthz`)
        expect(await health.json()).toEqual({ status: 'ok', database })
        const me = await fetch(`${first.url}/api/me`, {
          headers: { authorization: `Bearer ${first.token}` },
        })
        expect(await me.json()).toMatchObject({ name: 'admin', is_admin: true })
        expect((await fetch(`${first.url}/api/me`)).status).toBe(401)
        first.child.kill('SIGTERM')
        expect(await first.exit).toBe(0)

        const second = await startMain({ CULM_DATABASE_URL: url }, folder)
        expect(second.token).toBeUndefined()
        const again = await fetch(`${second.url}/api/me`, {
          headers: { authorization: `Bearer ${first.token}` },
        })
        expect(again.status).toBe(200)
        second.child.kill('SIGTERM')
        expect(await second.exit).toBe(0)
      },
      START_TIMEOUT_MS,
    )

    it(
      'runs on Node 24 in the process it was started as, so a SIGKILL leaves no server behind',
      async () => {
        // A lease long enough to outlast the next server's start-up, short enough to wait for.
        const env = { CULM_DATABASE_URL: url, CULM_LEASE_SECONDS: '8' }
        const started = await startMain(env, folder)
        expect(started.output).toMatch(/Culm listens on \S+ \(Node v24\./)
        expect((await fetch(`${started.url}/healthz`)).status).toBe(200)
        started.child.kill('SIGKILL')
        await started.exit
        await expect(fetch(`${started.url}/healthz`)).rejects.toThrow()
        // Its process is gone but its lease lasts: the next server waits for it to run out,
        // says so, takes it, and stops cleanly.
        const next = await startMain(env, folder)
        expect(next.output).toContain(
          'waiting for the engine lease of a server that no longer runs to run out',
        )
        expect(next.output).toContain('took the engine lease over')
        expect(next.output).toContain(`pid ${started.child.pid} `)
        next.child.kill('SIGTERM')
        expect(await next.exit).toBe(0)
      },
      START_TIMEOUT_MS,
    )

    it(
      'refuses to start a second server on the same database while the first runs',
      async () => {
        const first = await startMain({ CULM_DATABASE_URL: url }, folder)
        await expect(startMain({ CULM_DATABASE_URL: url }, folder)).rejects.toThrow(
          /exited with 1[\s\S]*another Culm server \(.* pid \d+ .*\) runs the engine on this database/,
        )
        expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
        first.child.kill('SIGTERM')
        expect(await first.exit).toBe(0)
        // Stopped, the first gave its lease up: the next starts at once.
        const next = await startMain({ CULM_DATABASE_URL: url }, folder)
        next.child.kill('SIGTERM')
        expect(await next.exit).toBe(0)
      },
      START_TIMEOUT_MS,
    )

    it(
      'takes the admin token from CULM_ADMIN_TOKEN',
      async () => {
        const token = `culm_given_${database}`
        const started = await startMain({ CULM_DATABASE_URL: url, CULM_ADMIN_TOKEN: token }, folder)
        expect(started.token).toBeUndefined()
        const me = await fetch(`${started.url}/api/me`, {
          headers: { authorization: `Bearer ${token}` },
        })
        expect(await me.json()).toMatchObject({ is_admin: true })
        started.child.kill('SIGTERM')
        expect(await started.exit).toBe(0)
      },
      START_TIMEOUT_MS,
    )

    it(
      'refuses to start with a permission module that cannot be loaded',
      async () => {
        await expect(
          startMain(
            { CULM_DATABASE_URL: url, CULM_ADMIN_PERMISSION: './missing.js#check' },
            folder,
          ),
        ).rejects.toThrow(
          /exited with 1[\s\S]*Pipeline engine admin permission function import error/,
        )
      },
      START_TIMEOUT_MS,
    )
  })
}
