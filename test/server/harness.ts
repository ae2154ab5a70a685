import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock, type Runtime, RuntimeInterruptedError, systemClock } from '@culm/engine'
import {
  type AdminPermission,
  type CulmServer,
  createServer,
  ensureAdmin,
  loadComponents,
} from '@culm/server'
import { type OpenedRuntime, openRuntime } from '@culm/store'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'

/** The databases every server suite runs on. */
export const DATABASES = ['sqlite', 'mysql'] as const
export type TestDatabase = (typeof DATABASES)[number]

/** An answer: its status and its parsed JSON body. */
export interface Answer {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON body by field
  body: any
}

/** A real server on a free port over a fresh database, with a clock the test moves. */
export interface TestServer {
  url: string
  /** The first admin's token. */
  token: string
  clock: ManualClock
  server: CulmServer
  store: OpenedRuntime
  /** Sends a request; `body` is JSON-encoded unless it is a string. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<Answer>
  /** POSTs a JSON body with the admin token. */
  post(path: string, body?: unknown, token?: string): Promise<Answer>
  /** Waits until the engine has nothing to run now. */
  settle(): Promise<void>
  /** Moves the clock, running the polls that fall due. */
  advance(ms: number): Promise<void>
  /**
   * Takes the engine's storage down for its next `transactions` transactions, each interrupted
   * as a lost connection interrupts it: from now, or from the next commit on.
   */
  outage(transactions: number, from?: 'now' | 'after the next commit'): void
  close(): Promise<void>
}

/**
 * The engine's runtime over `store`, with a storage that can go down: each transaction while
 * the outage lasts is interrupted before it reaches the database, as a lost connection does.
 */
function withOutages(store: OpenedRuntime): {
  runtime: Runtime
  outage: TestServer['outage']
} {
  let down = 0
  let downAfterCommit = 0
  const runtime = new Proxy(store.runtime as Runtime, {
    get(target, key, receiver) {
      if (key === 'transaction') {
        return async <T>(fn: (tx: Runtime) => Promise<T>): Promise<T> => {
          if (down > 0) {
            down--
            throw new RuntimeInterruptedError('Connection lost: The server closed the connection.')
          }
          const committed = await target.transaction(fn)
          if (downAfterCommit > 0) down = downAfterCommit
          downAfterCommit = 0
          return committed
        }
      }
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    runtime,
    outage: (transactions, from = 'now') => {
      if (from === 'now') down = transactions
      else downAfterCommit = transactions
    },
  }
}

/**
 * Sends a request to the server at `url` with `token` (none when null); `body` is JSON-encoded
 * unless it is a string. Answers the status and the JSON body (text when it is not JSON).
 */
export async function sendRequest(
  url: string,
  method: string,
  path: string,
  options: { body?: unknown; token: string | null; headers?: Record<string, string> },
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== null) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const response = await fetch(`${url}${path}`, { method, headers, body })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // Non-JSON answers (the docs page) stay text.
  }
  return { status: response.status, body: parsed }
}

/** Opens a fresh database of the kind asked for. */
async function openFresh(
  database: TestDatabase,
): Promise<{ store: OpenedRuntime; dispose: () => Promise<void> }> {
  if (database === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'culm-server-'))
    const store = await openRuntime(`sqlite:${join(folder, 'culm.db')}`)
    return { store, dispose: async () => rmSync(folder, { recursive: true, force: true }) }
  }
  const scratch: ScratchDatabase = await createScratchDatabase()
  const store = await openRuntime(scratch.url)
  return { store, dispose: () => scratch.drop() }
}

/** Starts the real server (every plugin loaded) on a free port over a fresh database. */
export async function startTestServer(
  database: TestDatabase,
  options: {
    adminPermission?: AdminPermission | string
    adminPermissionTimeoutMs?: number
    /** Failed app credential checks allowed; unlimited unless a suite tests the throttle. */
    credentialThrottle?: { perApp?: number; perAddress?: number; windowSeconds?: number }
    bodyLimit?: number
    /** Runs on the machine's clock (the test cannot move it) rather than a manual one. */
    realClock?: boolean
  } = {},
): Promise<TestServer> {
  const { store, dispose } = await openFresh(database)
  const clock = new ManualClock()
  const components = await loadComponents()
  const storage = withOutages(store)
  const server = await createServer({
    store: { ...store, runtime: storage.runtime as OpenedRuntime['runtime'] },
    components: components.runner,
    plugins: components.plugins,
    clock: options.realClock ? systemClock : clock,
    ...(options.adminPermission ? { adminPermission: options.adminPermission } : {}),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    credentialThrottle: options.credentialThrottle ?? {
      perApp: Number.MAX_SAFE_INTEGER,
      perAddress: Number.MAX_SAFE_INTEGER,
    },
    ...(options.adminPermissionTimeoutMs
      ? { adminPermissionTimeoutMs: options.adminPermissionTimeoutMs }
      : {}),
  })
  const token = (await ensureAdmin(server.users))!
  const { url } = await server.listen({ port: 0 })
  const request: TestServer['request'] = (method, path, opts = {}) =>
    sendRequest(url, method, path, {
      ...opts,
      token: opts.token === undefined ? token : opts.token,
    })
  return {
    url,
    token,
    clock,
    server,
    store,
    request,
    post: (path, body = {}, as) => request('POST', path, { body, ...(as ? { token: as } : {}) }),
    settle: () => server.engine.idle(),
    advance: (ms) => clock.advance(ms, () => server.engine.idle()),
    outage: storage.outage,
    close: async () => {
      await server.close()
      await components.close()
      await store.close()
      await dispose()
    },
  }
}
