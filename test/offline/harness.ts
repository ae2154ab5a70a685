import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { systemClock } from '@culm/engine'
import { type CulmServer, createServer, ensureAdmin, loadComponents } from '@culm/server'
import { type OpenedRuntime, openRuntime } from '@culm/store'
import { createScratchDatabase } from '@culm/store/testing'
import type { Kysely } from 'kysely'

/** The `X-FlowEngine-UserId` header name. */
export const USER_HEADER = 'X-FlowEngine-UserId'

/** An answer: its HTTP status and its parsed JSON body. */
export interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read the envelope by field
  body: any
}

/** What an offline test server is started with. */
export interface OfflineServerOptions {
  userMode?: 'token' | 'trusted'
  pollMs?: number
  fileDirectory?: string
  fileLimit?: number
  prefix?: string
}

/** A real server on a free port over a given database, on the machine's clock. */
export interface OfflineServer {
  url: string
  /** The first admin's token. */
  token: string
  server: CulmServer
  store: OpenedRuntime
  /** The database, for tests that read the offline tables. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read any table by name
  db: Kysely<any>
  /**
   * Sends a request as user `user` (default 1, the first admin); a string body goes as it is,
   * anything else as JSON. `token` null sends no Authorization header.
   */
  request(
    method: string,
    path: string,
    options?: {
      body?: unknown
      user?: string | null
      token?: string | null
      headers?: Record<string, string>
    },
  ): Promise<Answer>
  close(): Promise<void>
}

/** A fresh database for one suite, and how to remove it. */
export interface FreshDatabase {
  url: string
  drop(): Promise<void>
}

/** A new MySQL database (`CULM_TEST_MYSQL_URL`), or a SQLite file in a new folder. */
export async function freshDatabase(kind: 'mysql' | 'sqlite'): Promise<FreshDatabase> {
  if (kind === 'mysql') return createScratchDatabase()
  const folder = mkdtempSync(join(tmpdir(), 'culm-offline-'))
  return {
    url: `sqlite:${join(folder, 'culm.db')}`,
    drop: async () => rmSync(folder, { recursive: true, force: true }),
  }
}

/**
 * Sends a request on a connection of its own (`connection: close`) and reads the answer as JSON
 * when it is: a kept-alive connection that the server closes as idle just as the next request
 * is written would fail that request on a loaded machine.
 */
export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const headers = new Headers(init.headers)
  headers.set('connection', 'close')
  return answerOf(await fetch(url, { ...init, headers }))
}

/** Reads a fetch answer as JSON when it is. */
export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON: kept as text for the assertion to show.
  }
  return { status: response.status, body }
}

/** Starts the server (every plugin loaded) over the database at `databaseUrl`. */
export async function startOfflineServer(
  databaseUrl: string,
  options: OfflineServerOptions = {},
): Promise<OfflineServer> {
  const store = await openRuntime(databaseUrl)
  const components = await loadComponents()
  const server = await createServer({
    store,
    components: components.runner,
    plugins: components.plugins,
    clock: systemClock,
    offline: {
      userMode: options.userMode ?? 'trusted',
      pollMs: options.pollMs ?? 100,
      ...(options.fileDirectory ? { fileDirectory: options.fileDirectory } : {}),
      ...(options.fileLimit ? { fileLimit: options.fileLimit } : {}),
      ...(options.prefix ? { prefix: options.prefix } : {}),
    },
  })
  const token =
    (await ensureAdmin(server.users)) ??
    (await server.users.addToken((await server.users.list())[0]!.id))
  const { url } = await server.listen({ port: 0 })
  const request: OfflineServer['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers }
    const user = opts.user === undefined ? '1' : opts.user
    if (user !== null) headers[USER_HEADER] = user
    if (opts.token !== undefined && opts.token !== null)
      headers.authorization = `Bearer ${opts.token}`
    let body: string | undefined
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
      headers['content-type'] ??= 'application/json'
    }
    return send(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
  }
  return {
    url,
    token,
    server,
    store,
    // biome-ignore lint/suspicious/noExplicitAny: tests read any table by name
    db: store.db as Kysely<any>,
    request,
    close: async () => {
      await server.close()
      await components.close()
      await store.close()
    },
  }
}

/** Waits until `check` answers a value that is not undefined, or fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new TypeError(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A server in a process of its own (`second-server.js`) over the same database. */
export interface ServerProcess {
  url: string
  stop(): Promise<void>
}

/** Starts `second-server.js` (built beside this file) over `databaseUrl`; answers once it listens. */
export function startServerProcess(databaseUrl: string, pollMs = 100): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('../dist/offline/second-server.js', import.meta.url))
  const child = spawn(process.execPath, ['--no-node-snapshot', script], {
    env: { ...process.env, CULM_DATABASE_URL: databaseUrl, CULM_OFFLINE_POLL_MS: String(pollMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.once('exit', (code) => reject(new TypeError(`second server exited with ${code}: ${out}`)))
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening (\S+)/.exec(out)
      if (!match) return
      child.removeAllListeners('exit')
      resolve({
        url: match[1]!,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
  })
}
