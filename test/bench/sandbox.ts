import { fileURLToPath } from 'node:url'
import { type ComponentCallInput, ComponentRegistry } from '@culm/engine'
import { loadPlugins } from '@culm/sandbox'
import { report } from './measure.js'

const PLUGINS = fileURLToPath(new URL('../../../plugins', import.meta.url))

function callInput(inputs: Record<string, unknown>): ComponentCallInput {
  return {
    inputs,
    outputs: {},
    parentData: { executor: 'bench', project_id: 1 },
    scheduleTimes: 0,
    nodeId: 'n1',
    version: 'v1',
    rootPipelineId: 'p1',
    loop: 1,
    innerLoop: 1,
  }
}

/** Mean microseconds per call of `calls` sequential calls, after `calls / 10` warm-up calls. */
async function perCall(calls: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < calls / 10; i++) await fn()
  const started = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await fn()
  return Number(process.hrtime.bigint() - started) / calls / 1000
}

/**
 * The overhead of a sandboxed component call against the same call in process (warm isolate,
 * one call at a time), for `noop` and for `echo` with about 1 KB of inputs; and the start-up
 * time of an isolate (with and without the plugin's code cache). Needs `--no-node-snapshot`.
 */
export async function benchSandbox(): Promise<void> {
  const loaded = await loadPlugins({ directories: [PLUGINS], onLog: () => {} })
  try {
    const registry = new ComponentRegistry().register(
      { code: 'noop', version: '1.0', execute() {} },
      {
        code: 'echo',
        version: '1.0',
        execute(data) {
          for (const [key, value] of Object.entries(data.inputs)) data.setOutput(key, value)
        },
      },
    )
    const payload = {
      message: 'x'.repeat(512),
      list: Array.from({ length: 20 }, (_, i) => ({ i, name: `item ${i}` })),
    }
    for (const [code, inputs] of [
      ['noop', {}],
      ['echo', payload],
    ] as const) {
      const ref = { code, version: '1.0' }
      const input = callInput(inputs)
      const calls = 5000
      const inProcess = await perCall(calls, () => registry.run(ref, 'execute', input))
      const sandboxed = await perCall(calls, async () => {
        const result = await loaded.runner.run(ref, 'execute', input)
        if (!result.success) throw new TypeError(`sandboxed ${code} failed: ${result.error}`)
      })
      report(`sandbox ${code} call (warm isolate)`, {
        in_process_us: inProcess,
        sandboxed_us: sandboxed,
        overhead_us: sandboxed - inProcess,
        calls: String(calls),
      })
    }
    const starts: number[] = []
    for (let i = 0; i < 20; i++) starts.push(await loaded.runner.checkPlugin('@culm/plugin-echo'))
    starts.sort((a, b) => a - b)
    report('sandbox isolate start-up (echo plugin)', {
      median_ms: starts[10]!,
      min_ms: starts[0]!,
      runs: String(starts.length),
    })
  } finally {
    await loaded.close()
  }
}
