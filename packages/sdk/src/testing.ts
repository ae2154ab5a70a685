import { encodeResult, invokeComponent } from './invoke.js'
import type { CallResult, Capabilities, ComponentDefinition } from './types.js'

/** One log line written by a component under test. */
export interface LoggedLine {
  level: 'info' | 'warn' | 'error'
  message: string
  fields?: Record<string, unknown>
}

/** Options of `runComponent`: the call's data and the capabilities a host would grant. */
export interface RunComponentOptions {
  phase?: 'execute' | 'schedule'
  inputs?: Record<string, unknown>
  outputs?: Record<string, unknown>
  parentData?: Record<string, unknown>
  callbackData?: unknown
  scheduleTimes?: number
  /** Hosts `ctx.fetch` may reach (`example.com`, `127.0.0.1:8080`, `*.example.com`). */
  allowedHosts?: string[]
  secrets?: Record<string, string>
  /** The size limit of the result, as the host's (1 MiB by default). */
  maxResultBytes?: number
}

function allowed(url: URL, hosts: string[]): boolean {
  return hosts.some((entry) => {
    if (entry.startsWith('*.')) return url.hostname.endsWith(entry.slice(1))
    return entry.includes(':') ? url.host === entry : url.hostname === entry
  })
}

/**
 * Runs one call of a component in process, with the same context, result checks and fetch
 * allow-list as the sandbox, without the host's native addon. It has Node's globals, not the
 * isolate's, and applies no input schema: `loadPluginForTest` of `@culm/sandbox/testing` runs a
 * plugin as the server does.
 * @example
 * const result = await runComponent(echo, { inputs: { message: 'hi' } })
 * expect(result.outputs.message).toBe('hi')
 */
export async function runComponent<I, O>(
  component: ComponentDefinition<I, O>,
  options: RunComponentOptions = {},
): Promise<CallResult & { logs: LoggedLine[] }> {
  const logs: LoggedLine[] = []
  const hosts = options.allowedHosts ?? []
  const caps: Capabilities = {
    log: (level, message, fields) => {
      logs.push(fields === undefined ? { level, message } : { level, message, fields })
    },
    async fetch(url, init) {
      const target = new URL(url)
      if (!allowed(target, hosts)) {
        throw Object.assign(
          new TypeError(`fetch to ${target.host} is not allowed for this plugin`),
          { code: 'FETCH_REFUSED' },
        )
      }
      const response = await fetch(target, { ...init, redirect: 'manual' })
      return {
        status: response.status,
        statusText: response.statusText,
        headers: Object.fromEntries(response.headers),
        body: await response.text(),
      }
    },
    sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    secrets: options.secrets ?? {},
  }
  const startOutputs = JSON.parse(JSON.stringify(options.outputs ?? {}))
  const result = await invokeComponent(
    component as unknown as ComponentDefinition,
    {
      phase: options.phase ?? 'execute',
      inputs: JSON.parse(JSON.stringify(options.inputs ?? {})),
      outputs: startOutputs,
      parentData: options.parentData ?? {},
      callbackData: options.callbackData,
      scheduleTimes: options.scheduleTimes ?? 0,
      node: { id: 'node', version: 'v1', rootPipelineId: 'pipeline', loop: 1, innerLoop: 1 },
    },
    caps,
  )
  const text = encodeResult(result, startOutputs, options.maxResultBytes ?? 1024 * 1024)
  return { ...(JSON.parse(text) as CallResult), logs }
}
