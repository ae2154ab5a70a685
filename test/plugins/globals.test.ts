import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type LoadedPlugins, loadPlugins, type PluginLogEntry } from '@culm/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))

let loaded: LoadedPlugins
const logs: PluginLogEntry[] = []

beforeAll(async () => {
  loaded = await loadPlugins({
    folders: [join(FIXTURES, 'web-globals')],
    config: { '@fixture/web-globals': { maxTimeoutSeconds: 1 } },
    onLog: (entry) => logs.push(entry),
  })
})

afterAll(() => loaded?.close())

async function use(name: string) {
  return loaded.runner.run({ code: 'web_globals', version: '1.0' }, 'execute', {
    inputs: { use: name },
    outputs: {},
    parentData: {},
    scheduleTimes: 0,
    nodeId: `n-${name}`,
    version: 'v1',
    rootPipelineId: 'p1',
    loop: 1,
    innerLoop: 1,
  })
}

describe('the isolate offers the web-standard globals', () => {
  it('parses, resolves and edits URLs and their search params as Node does', async () => {
    const result = await use('url')
    expect(result.error).toBeUndefined()
    expect(result.outputs.seen).toEqual({
      href: 'https://example.com:8443/a%20b/c?x=1&y=two&z=a%26b+c#top',
      host: 'example.com:8443',
      port: '8443',
      pathname: '/a%20b/c',
      y: 'two',
      relative: 'https://example.com:8443/d',
      canParse: [false, true],
      json: 'https://example.com:8443/a%20b/c?x=1&y=two&z=a%26b+c#top',
      params: new URLSearchParams({ q: 'ü +' }).toString(),
      invalid: 'TypeError',
    })
  })

  it('encodes and decodes UTF-8 and base64', async () => {
    const result = await use('text')
    expect(result.outputs.seen).toEqual({
      bytes: [...new TextEncoder().encode('héllo €😀')],
      back: 'héllo €😀',
      replaced: 'a\ufffdb',
      base64: 'aGVsbG8=',
      decoded: 'hello',
    })
  })

  it('gives random UUIDs and random bytes', async () => {
    const result = await use('crypto')
    const seen = result.outputs.seen as { uuids: string[]; nonZero: boolean; length: number }
    expect(seen.uuids[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(seen.uuids[0]).not.toBe(seen.uuids[1])
    expect(seen).toMatchObject({ nonZero: true, length: 32 })
  })

  it('clones dates, sets and cycles with structuredClone and refuses functions', async () => {
    const result = await use('clone')
    expect(result.outputs.seen).toEqual({
      date: true,
      set: true,
      distinct: true,
      circular: true,
      fn: 'DataCloneError',
    })
  })

  it('runs timers, clears them, and aborts with AbortController', async () => {
    const result = await use('timers')
    expect(result.outputs.seen).toEqual({
      order: ['waited', 'aborted'],
      reason: 'AbortError',
      aborted: true,
    })
  })

  it("bounds a timer by the call's time limit", async () => {
    const result = await use('timeout')
    expect(result).toMatchObject({
      success: false,
      error:
        'component web_globals 1.0: plugin @fixture/web-globals did not answer within its timeout of 1 s',
    })
  })

  it('refuses more than 1000 pending timers in a call, cleared ones counted until they end', async () => {
    const result = await use('timerFlood')
    expect(result.outputs.seen).toEqual({
      made: 1000,
      error: 'RangeError: setTimeout: a call may have at most 1000 timers pending',
    })
  })

  it('refuses to parse a URL over 2 MiB', async () => {
    const result = await use('longUrl')
    expect(result.outputs.seen).toBe('TypeError: a URL is limited to 2097152 characters')
  })

  it('sends console lines to the plugin log at their level', async () => {
    logs.length = 0
    const result = await use('console')
    expect(result.success).toBe(true)
    expect(logs.map((l) => [l.level, l.message.split('\n')[0]])).toEqual([
      ['debug', 'a debug line'],
      ['info', 'a log line {"n":1}'],
      ['warn', 'a warning'],
      ['error', 'TypeError: an error'],
    ])
  })

  it('hands the plugin no host object through any of them', async () => {
    const result = await use('escape')
    expect(result.outputs.seen).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ])
  })
})
