import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MemoryRuntime, type Runtime } from '@culm/engine'
import { type LoadedPlugins, loadPlugins } from '@culm/sandbox'
import { type OpenedRuntime, openRuntime } from '@culm/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../conformance/harness.js'
import { act, sequence } from '../conformance/trees.js'

const PLUGINS = fileURLToPath(new URL('../../plugins', import.meta.url))
const folder = mkdtempSync(join(tmpdir(), 'culm-sandbox-plugins-'))
const stores: OpenedRuntime[] = []
let loaded: LoadedPlugins
let server: Server
let host = ''

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/teapot') {
      response.writeHead(418, { 'content-type': 'text/plain' }).end('short and stout')
      return
    }
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ path: request.url, method: request.method }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  loaded = await loadPlugins({
    directories: [PLUGINS],
    config: {
      '@culm/plugin-http-request': { allowedHosts: [host] },
      '@culm/plugin-script': { cpuTimeLimitMs: 200 },
    },
    onLog: () => {},
  })
})

afterAll(async () => {
  await loaded?.close()
  await Promise.all(stores.map((store) => store.close()))
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(folder, { recursive: true, force: true })
})

it('loads every first-party plugin from plugins/', () => {
  expect(loaded.plugins.map((p) => p.name)).toEqual([
    '@culm/plugin-echo',
    '@culm/plugin-http-request',
    '@culm/plugin-pause',
    '@culm/plugin-script',
    '@culm/plugin-sleep-timer',
    '@culm/plugin-testkit',
  ])
  expect(loaded.refused).toEqual([])
})

const runtimes: Array<[string, () => Promise<Runtime>]> = [
  ['MemoryRuntime', async () => new MemoryRuntime()],
  [
    'SQLite',
    async () => {
      const store = await openRuntime(`sqlite:${join(folder, `plugins-${stores.length}.db`)}`)
      stores.push(store)
      return store.runtime
    },
  ],
]

describe.each(runtimes)('first-party plugins sandboxed, end to end on %s', (_name, make) => {
  let h: Harness

  beforeAll(async () => {
    h = createHarness(await make(), loaded.runner)
  })

  async function finish(node: ReturnType<typeof act>): Promise<Record<string, unknown>> {
    const root = await h.run(sequence(node), { keepIds: true })
    expect((await h.states(root))[root]).toBe('FINISHED')
    return h.outputs(node.id)
  }

  it('echo copies its inputs and noop does nothing', async () => {
    expect(await finish(act('echo', { a: 1, b: 'two' }))).toMatchObject({ a: 1, b: 'two' })
    const noop = await finish(act('noop', { a: 1 }))
    expect(noop).not.toHaveProperty('a')
  })

  it('sleep_timer waits bk_timing seconds of the engine clock by polling', async () => {
    const timer = act('sleep_timer', { bk_timing: '3' })
    const root = await h.run(sequence(timer), { keepIds: true })
    expect((await h.state(timer.id))?.state).toBe('RUNNING')
    await h.advance(1)
    expect((await h.state(timer.id))?.state).toBe('RUNNING')
    await h.advance(2)
    expect((await h.states(root))[root]).toBe('FINISHED')
    expect(await h.outputs(timer.id)).toMatchObject({ bk_timing: 3 })
  })

  it('http_request calls an allowed host and fails on an unexpected status', async () => {
    const ok = await finish(act('http_request', { url: `http://${host}/things` }))
    expect(ok).toMatchObject({ status_code: 200, json: { path: '/things', method: 'GET' } })
    const teapot = act('http_request', { url: `http://${host}/teapot` })
    await h.run(sequence(teapot), { keepIds: true })
    expect((await h.state(teapot.id))?.state).toBe('FAILED')
    expect((await h.outputs(teapot.id)).ex_data).toBe(
      `GET http://${host}/teapot answered 418, expected 200: short and stout`,
    )
  })

  it('http_request refuses a host the configuration does not allow', async () => {
    const denied = act('http_request', { url: 'http://example.com/' })
    await h.run(sequence(denied), { keepIds: true })
    expect((await h.state(denied.id))?.state).toBe('FAILED')
    expect(String((await h.outputs(denied.id)).ex_data)).toMatch(
      /fetch to example\.com is not allowed for plugin @culm\/plugin-http-request/,
    )
  })

  it('pause waits for an approval callback, and a rejection fails it', async () => {
    const approve = act('pause', { description: 'ship it' })
    const root = await h.run(sequence(approve), { keepIds: true })
    const waiting = await h.state(approve.id)
    expect(waiting?.state).toBe('RUNNING')
    h.ok(
      await h.engine.api.callback({
        nodeId: approve.id,
        version: waiting!.version,
        data: { approved: true, approver: 'ada' },
      }),
    )
    await h.settle()
    expect((await h.states(root))[root]).toBe('FINISHED')
    expect(await h.outputs(approve.id)).toMatchObject({ approved: true, approver: 'ada' })

    const reject = act('pause')
    await h.run(sequence(reject), { keepIds: true })
    const version = (await h.state(reject.id))!.version
    h.ok(
      await h.engine.api.callback({
        nodeId: reject.id,
        version,
        data: { approved: false, approver: 'bob', comment: 'not today' },
      }),
    )
    await h.settle()
    expect((await h.state(reject.id))?.state).toBe('FAILED')
    expect((await h.outputs(reject.id)).ex_data).toBe('rejected by bob: not today')
  })

  it('script evaluates an expression over its values', async () => {
    const outputs = await finish(
      act('script', { expression: 'values.n * 2 + 1', values: { n: 20 } }),
    )
    expect(outputs).toMatchObject({ result: 41 })
  })

  it('script expressions reach nothing of the host and are stopped at the time limit', async () => {
    const outputs = await finish(
      act('script', { expression: '[typeof process, typeof require, typeof fetch]' }),
    )
    expect(outputs).toMatchObject({ result: ['undefined', 'undefined', 'undefined'] })
    const loop = act('script', { expression: '(() => { for (;;) {} })()' })
    await h.run(sequence(loop), { keepIds: true })
    expect((await h.state(loop.id))?.state).toBe('FAILED')
    expect(String((await h.outputs(loop.id)).ex_data)).toMatch(
      /plugin @culm\/plugin-script ran longer than its CPU time limit of 200 ms/,
    )
  })
})
