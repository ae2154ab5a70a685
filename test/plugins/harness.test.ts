import { loadPluginForTest, type PluginHarness } from '@culm/sandbox/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const START = Date.UTC(2026, 0, 1)
let plugin: PluginHarness

beforeAll(async () => {
  // The kit is not built: its manifest names dist/index.js, the harness bundles src/index.ts.
  plugin = await loadPluginForTest(new URL('./fixtures/harness-kit', import.meta.url), {
    startTime: START,
  })
})

afterAll(() => plugin?.close())

describe('the plugin test harness runs components in isolates as the server does', () => {
  it('coerces inputs and fills schema defaults before the component runs', async () => {
    const call = await plugin.call('countdown', { inputs: { seconds: '3' } })
    expect(call).toMatchObject({ success: true, outputs: { seconds: 3, deadline: START + 3000 } })
  })

  it('refuses inputs that break the schema, naming the field', async () => {
    const call = await plugin.call('countdown', { inputs: { seconds: -1 } })
    expect(call).toMatchObject({
      success: false,
      error: 'inputs of component countdown 1.0 are invalid: /seconds must be >= 0',
    })
  })

  it('checks the format of an input', async () => {
    const bad = await plugin.call('link', { inputs: { url: 'not a uri' } })
    expect(bad.error).toBe('inputs of component link 1.0 are invalid: /url must match format "uri"')
    const good = await plugin.call('link', { inputs: { url: 'https://example.com:81/x' } })
    expect(good).toMatchObject({ success: true, outputs: { host: 'example.com:81' } })
  })

  it('drives a polling node with a fake clock until it finishes', async () => {
    const run = await plugin.runNode('countdown', { inputs: { seconds: 12, every: 5 } })
    expect(run.state).toBe('FINISHED')
    expect(run.calls.map((c) => [c.phase, c.at, c.scheduleTimes])).toEqual([
      ['execute', 0, 0],
      ['schedule', 0, 0],
      ['schedule', 5, 1],
      ['schedule', 10, 2],
      ['schedule', 15, 3],
    ])
    expect(run.outputs).toMatchObject({ polls: 4, seconds: 12 })
    expect(run.elapsedSeconds).toBe(15)
  })

  it('answers WAITING when a polling node does not finish within the calls allowed', async () => {
    const run = await plugin.runNode('countdown', {
      inputs: { seconds: 3600 },
      maxScheduleCalls: 3,
    })
    expect(run).toMatchObject({ state: 'WAITING', outputs: { polls: 3 } })
  })

  it('drives a callback node: a callback approves it, with the logs it wrote', async () => {
    const run = await plugin.runNode('approval', {
      inputs: { title: 'release' },
      callbacks: [{ approved: true, by: 'ada' }],
    })
    expect(run).toMatchObject({ state: 'FINISHED', outputs: { approver: 'ada' } })
    expect(run.calls.map((c) => [c.phase, c.callbackData])).toEqual([
      ['execute', undefined],
      ['schedule', { approved: true, by: 'ada' }],
    ])
    expect(run.logs).toMatchObject([
      { plugin: 'harness-kit', level: 'info', message: 'waiting for approval of release' },
    ])
  })

  it('fails a callback node whose callback rejects it, and waits without a callback', async () => {
    const rejected = await plugin.runNode('approval', {
      callbacks: [{ approved: false, by: 'bob' }],
    })
    expect(rejected).toMatchObject({ state: 'FAILED', error: 'rejected by bob' })
    const waiting = await plugin.runNode('approval', {})
    expect(waiting.state).toBe('WAITING')
  })

  it('runs a multi-callback node for every callback until one finishes it', async () => {
    const run = await plugin.runNode('collect', {
      callbacks: [{ item: 'a' }, { item: 'b' }, { item: 'c', last: true }, { item: 'never' }],
    })
    expect(run).toMatchObject({ state: 'FINISHED', outputs: { items: ['a', 'b', 'c'] } })
    expect(run.calls).toHaveLength(4)
  })

  it('names the components a plugin has when asked for another', async () => {
    await expect(plugin.call('nope')).rejects.toThrow(
      'plugin harness-kit has no component nope (it has approval, collect, countdown, forecast, link)',
    )
  })
})

describe('the harness answers fetches in place of the network, behind the allow-list', () => {
  let weather: PluginHarness

  beforeAll(async () => {
    weather = await loadPluginForTest(new URL('./fixtures/harness-kit', import.meta.url), {
      allowedHosts: ['api.example.com'],
      fetch: (url) =>
        new URL(url).searchParams.get('city') === 'Oslo'
          ? Response.json({ t: 3.5 })
          : new Response('no such city', { status: 404 }),
    })
  })

  afterAll(() => weather?.close())

  it('gives the component the answer and lists the request', async () => {
    const run = await weather.runNode('forecast', { inputs: { city: 'Oslo' } })
    expect(run).toMatchObject({ state: 'FINISHED', outputs: { celsius: 3.5 } })
    expect(run.fetches).toEqual([
      { url: 'https://api.example.com/now?city=Oslo', method: 'GET', status: 200 },
    ])
    const missing = await weather.runNode('forecast', { inputs: { city: 'Atlantis' } })
    expect(missing).toMatchObject({ state: 'FAILED', error: 'the weather service answered 404' })
  })

  it('refuses a host the configuration does not allow, as the server does', async () => {
    const run = await plugin.runNode('forecast', { inputs: { city: 'Oslo' } })
    expect(run.state).toBe('FAILED')
    expect(run.error).toMatch(
      /fetch to api\.example\.com is not allowed for plugin harness-kit \(allowed hosts: none\)/,
    )
    expect(run.fetches).toEqual([])
  })
})
