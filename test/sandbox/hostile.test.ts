import { fileURLToPath } from 'node:url'
import { type ComponentRunner, MemoryRuntime } from '@culm/engine'
import { type LoadedPlugins, loadPlugins } from '@culm/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../conformance/harness.js'
import { act, sequence } from '../conformance/trees.js'

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))

let loaded: LoadedPlugins
let h: Harness
const logs: Array<{ plugin: string; level: string; message: string }> = []

beforeAll(async () => {
  loaded = await loadPlugins({
    directories: [FIXTURES],
    packages: ['@culm/plugin-echo'],
    config: {
      '@fixture/hostile': {
        allowedHosts: ['example.com'],
        // Well above the time a memory bomb takes to reach 32 MB (V8 collects hard near its heap
        // limit: about 300 ms here, more on a busy machine), so the memory limit is what stops it.
        cpuTimeLimitMs: 1500,
        memoryLimitMb: 32,
        maxIsolates: 2,
        maxTimeoutSeconds: 2,
        minPollIntervalSeconds: 5,
        maxLogLinesPerCall: 20,
        maxLogLinesPerMinute: 100,
        maxLogBytesPerMinute: 512 * 1024,
      },
    },
    onLog: (entry) => logs.push(entry),
  })
  h = createHarness(new MemoryRuntime(), loaded.runner)
})

afterAll(() => loaded?.close())

/**
 * Given a hostile node in one pipeline and an echo node in another started beside it, when both
 * run, then the hostile node is FAILED with a message and the echo pipeline finishes.
 */
async function attack(name: string): Promise<{ exData: string; outputs: Record<string, unknown> }> {
  const hostile = act('hostile', { attack: name })
  const answer = await h.engine.api.runPipeline({ pipeline: sequence(hostile) })
  expect(answer.result).toBe(true)
  const echo = act('echo', { message: `beside ${name}` })
  const echoRoot = await h.run(sequence(echo), { keepIds: true })
  await h.settle()
  expect((await h.state(hostile.id))?.state).toBe('FAILED')
  expect((await h.states(echoRoot))[echoRoot]).toBe('FINISHED')
  expect(await h.outputs(echo.id)).toMatchObject({ message: `beside ${name}` })
  const outputs = await h.outputs(hostile.id)
  return { exData: String(outputs.ex_data), outputs }
}

describe('a hostile plugin fails its own node and nothing else', () => {
  it('an infinite loop is stopped at the CPU time limit', async () => {
    const { exData } = await attack('loop')
    expect(exData).toBe(
      'component hostile legacy: plugin @fixture/hostile ran longer than its CPU time limit of 1500 ms; its isolate was disposed',
    )
  })

  it('an infinite loop after an await is stopped too', async () => {
    const { exData } = await attack('asyncLoop')
    // The CPU time limit, or on a machine too busy to give the isolate 1.5 s of CPU within 2 s,
    // the wall time cap: either way the isolate is stopped and disposed.
    expect(exData).toMatch(
      /ran longer than its CPU time limit of 1500 ms|did not answer within its timeout of 2 s/,
    )
  })

  it('allocating past the memory limit disposes the isolate', async () => {
    const { exData } = await attack('memory')
    expect(exData).toBe(
      'component hostile legacy: plugin @fixture/hostile went over its memory limit of 32 MB; its isolate was disposed',
    )
  })

  it("this.constructor.constructor('return process')() finds no process", async () => {
    const { exData } = await attack('constructorEscape')
    expect(exData).toBe('ReferenceError: process is not defined')
  })

  it('the Function constructor reached from a host-given function finds no require', async () => {
    const { exData } = await attack('functionEscape')
    expect(exData).toBe('ReferenceError: require is not defined')
  })

  it('stack frames expose no host receiver', async () => {
    const { exData } = await attack('errorEscape')
    expect(exData).toMatch(/^TypeError: Cannot read properties of undefined/)
  })

  it('a dynamic import of a Node module fails', async () => {
    const { exData } = await attack('dynamicImport')
    expect(exData).toMatch(/^(TypeError|Error): /)
    expect(exData).not.toMatch(/root:/)
  })

  it('globalThis holds no host object', async () => {
    const { exData, outputs } = await attack('globals')
    expect(exData).toBe('TypeError: host objects in reach: []')
    expect(outputs.globals).toEqual(expect.arrayContaining(['Object', 'JSON', 'Promise']))
  })

  it('a fetch to a host that is not allowed is refused', async () => {
    const { exData } = await attack('fetchDenied')
    expect(exData).toMatch(
      /fetch to 169\.254\.169\.254 is not allowed for plugin @fixture\/hostile \(allowed hosts: example\.com\)/,
    )
  })

  it('an output that is not JSON fails the node', async () => {
    const { exData } = await attack('nonJson')
    expect(exData).toBe('invalid component result: outputs.fn: a function is not JSON')
  })

  it('an answer that is not JSON text (a sabotaged JSON.stringify) fails the node', async () => {
    const { exData } = await attack('brokenJson')
    expect(exData).toBe(
      'component hostile legacy: plugin @fixture/hostile answered a non-JSON value; its isolate was disposed',
    )
  })

  it('a 50 MB output fails the node', async () => {
    const { exData } = await attack('bigOutput')
    expect(exData).toMatch(/over the limit of 4194304|over its memory limit of 32 MB/)
  })

  it('two hundred thousand outputs fail the node instead of reaching the engine', async () => {
    const { exData } = await attack('manyOutputs')
    expect(exData).toBe(
      'component hostile legacy: plugin @fixture/hostile answered more than 1000 outputs; a node keeps at most 1000',
    )
  })

  it('throwing a string fails the node with the string', async () => {
    const { exData } = await attack('throwString')
    expect(exData).toBe('the component threw a non-Error value: a plain string')
  })

  it('throwing an object fails the node with the object as JSON', async () => {
    const { exData } = await attack('throwObject')
    expect(exData).toBe('the component threw a non-Error value: {"code":42,"reason":"an object"}')
  })

  it('blocking in Atomics.wait is stopped', async () => {
    const { exData } = await attack('atomicsWait')
    expect(exData).toMatch(/CPU time limit|did not answer within its timeout|Atomics\.wait/)
  })

  it('after every attack the same plugin still serves calls, from fresh isolates', async () => {
    const friend = act('hostile_friend')
    const root = await h.run(sequence(friend), { keepIds: true })
    expect((await h.states(root))[root]).toBe('FINISHED')
    expect(await h.outputs(friend.id)).toMatchObject({ fine: true })
  })
})

describe('a node timeout stops a sandboxed call that still runs', () => {
  it('force-fails the node and terminates the isolate call of an infinite loop', async () => {
    const answers: Array<{ nodeId: string; failure: string }> = []
    const runner: ComponentRunner = {
      info: (ref) => loaded.runner.info(ref),
      run: async (ref, phase, input, options) => {
        const answer = await loaded.runner.run(ref, phase, input, options)
        answers.push({ nodeId: input.nodeId, failure: answer.error ?? '' })
        return answer
      },
    }
    const t = createHarness(new MemoryRuntime(), runner)
    const hostile = act(
      'hostile',
      { attack: 'loop' },
      { timeoutConfig: { enable: true, seconds: 1, action: 'forced_fail' } },
    )
    const id = await t.start(sequence(hostile), { keepIds: true })
    // Once the call has begun, the bound passes and its node is committed RUNNING.
    while (!t.calls.some((c) => c.nodeId === hostile.id)) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    await t.passFastCallBound()
    expect((await t.state(hostile.id))?.state).toBe('RUNNING')
    // The node's timeout falls due long before the plugin's CPU time limit.
    await t.clock.advance(1000, () => t.dispatcher.idle())
    await t.settle()
    expect(t.engine.runningCalls()).toBe(0)
    // The stopped call answers (with what stopped it) once its isolate is gone.
    while (answers.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    expect((await t.state(hostile.id))?.state).toBe('FAILED')
    expect(String((await t.outputs(hostile.id)).ex_data)).toBe('node timeout: 1 seconds')
    expect(answers).toEqual([
      {
        nodeId: hostile.id,
        failure:
          'component hostile legacy: the call of plugin @fixture/hostile was stopped: its node no longer waits for it',
      },
    ])
    expect((await t.states(id))[id]).toBe('RUNNING')
  })
})

describe('caps a plugin cannot raise', () => {
  it('stops a call at the host timeout although the component asks for 1e9 s', async () => {
    const greedy = act('hostile_greedy', { attack: 'hang' })
    await h.run(sequence(greedy), { keepIds: true })
    expect((await h.state(greedy.id))?.state).toBe('FAILED')
    expect(String((await h.outputs(greedy.id)).ex_data)).toBe(
      'component hostile_greedy legacy: plugin @fixture/hostile did not answer within its timeout of 2 s',
    )
  })

  it('counts and drops log lines over the limits of a call and of a minute, saying so', async () => {
    logs.length = 0
    const flood = async () => {
      const greedy = act('hostile_greedy', { attack: 'logFlood' })
      await h.run(sequence(greedy), { keepIds: true })
      expect((await h.state(greedy.id))?.state).toBe('FINISHED')
    }
    const lines = () => logs.filter((entry) => entry.message.startsWith('xxx')).length
    // A call may write 256 KiB: 16 of its 5,000 lines of 16,000 bytes; the rest is reported.
    await flood()
    expect(lines()).toBe(16)
    await flood()
    expect(lines()).toBe(32)
    const perCall = logs.filter((entry) => /a call$/.test(entry.message))
    expect(perCall.map((entry) => entry.message)).toEqual([
      '4984 log lines of one call of plugin @fixture/hostile were dropped: over its limit of 20 lines or 262144 bytes a call',
      '4984 log lines of one call of plugin @fixture/hostile were dropped: over its limit of 20 lines or 262144 bytes a call',
    ])
    // 512 KiB a minute: the third call's lines find the minute's allowance spent.
    await flood()
    expect(lines()).toBe(32)
    expect(logs.filter((entry) => /a minute/.test(entry.message))).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: expect.stringMatching(/over its log limit of 100 lines or 524288 bytes a minute/),
      }),
    ])
  })

  it('keeps polls of a component with interval 0 at least the minimum interval apart', async () => {
    const poller = act('hostile_poller')
    await h.run(sequence(poller), { keepIds: true })
    const polled = () => h.calls.filter((c) => c.nodeId === poller.id && c.phase === 'schedule')
    expect(polled()).toHaveLength(1)
    await h.advance(4)
    expect(polled()).toHaveLength(1)
    await h.advance(1)
    expect(polled()).toHaveLength(2)
    h.ok(await h.engine.api.revokePipeline({ pipelineId: (await h.state(poller.id))!.root_id }))
  })
})
