import { fileURLToPath } from 'node:url'
import type { ComponentCallResult } from '@culm/engine'
import type { RunComponentOptions } from '@culm/sdk/testing'
import { PluginCallError } from './errors.js'
import type { PluginLogEntry } from './internal/bridge.js'
import {
  type LoadedPlugin,
  type LoadedPlugins,
  loadPlugins,
  type PluginConfig,
} from './load-plugins.js'

/** Options of `loadPluginForTest`: what the host grants the plugin, and the fake clock's start. */
export interface PluginTestOptions extends PluginConfig {
  /** Bundle `src/x.ts` in place of `dist/x.js` when it exists (true): no build before a test. */
  fromSource?: boolean
  /** The fake clock's start, in ms since the epoch (now). */
  startTime?: number
  /**
   * Answers the plugin's `ctx.fetch` requests instead of the network, after the allow-list
   * check (`allowedHosts`) as on the server: `(url) => Response.json({ t: 3 })`.
   */
  fetch?: (url: string, init: RequestInit) => Response | Promise<Response>
}

/** A request the plugin made with `ctx.fetch` and the status it got. */
export interface FetchMade {
  url: string
  method: string
  status: number
}

/** The data of one call: as the SDK's `runComponent` takes it, and the component's version. */
export interface CallOptions
  extends Pick<
    RunComponentOptions,
    'phase' | 'inputs' | 'outputs' | 'parentData' | 'callbackData' | 'scheduleTimes'
  > {
  /** The component's version; without it, the one an unversioned tree gets. */
  version?: string
}

/** What one call answered, and the log lines it wrote. */
export interface CallOutcome extends ComponentCallResult {
  logs: PluginLogEntry[]
  fetches: FetchMade[]
}

/** The data of a whole node run. */
export interface NodeOptions {
  version?: string
  inputs?: Record<string, unknown>
  parentData?: Record<string, unknown>
  /** The callbacks the node receives, in order (callback components). */
  callbacks?: unknown[]
  /** Schedule calls after which a node still waiting is answered as `WAITING` (100). */
  maxScheduleCalls?: number
}

/** One call made while a node ran. */
export interface NodeCall {
  phase: 'execute' | 'schedule'
  /** Seconds of the fake clock since the node started. */
  at: number
  scheduleTimes: number
  callbackData?: unknown
  result: ComponentCallResult
}

/** How a node run ended, as the engine would leave the node. */
export interface NodeRun {
  state: 'FINISHED' | 'FAILED' | 'WAITING'
  outputs: Record<string, unknown>
  error?: string
  calls: NodeCall[]
  logs: PluginLogEntry[]
  fetches: FetchMade[]
  /** Seconds of the fake clock the node took. */
  elapsedSeconds: number
}

/** A plugin loaded into real isolates, as the server loads it, with a fake clock. */
export interface PluginHarness {
  plugin: LoadedPlugin
  /** The fake clock the isolates' `Date` reads. */
  clock: { now(): number; advance(seconds: number): void }
  /** Runs one call of a component, as the engine calls it. */
  call(code: string, options?: CallOptions): Promise<CallOutcome>
  /**
   * Runs a node as the engine does: execute, then polls (the fake clock moves by each poll's
   * delay) or one schedule call per callback, until it finishes, fails or stops waiting.
   */
  runNode(code: string, options?: NodeOptions): Promise<NodeRun>
  /** Disposes the plugin's isolates. */
  close(): Promise<void>
}

/**
 * Loads a plugin folder into isolates with the server's globals, limits, schema coercion and
 * defaults, so that a test meets what a pipeline meets.
 * @example
 * const plugin = await loadPluginForTest(new URL('..', import.meta.url))
 * const run = await plugin.runNode('weather', { inputs: { city: 'Oslo' } })
 * expect(run).toMatchObject({ state: 'FINISHED', outputs: { celsius: 3 } })
 */
export async function loadPluginForTest(
  folder: string | URL,
  options: PluginTestOptions = {},
): Promise<PluginHarness> {
  const { fromSource = true, startTime, fetch: answer, ...config } = options
  const directory = typeof folder === 'string' ? folder : fileURLToPath(folder)
  let time = startTime ?? Date.now()
  const logs: PluginLogEntry[] = []
  const fetches: FetchMade[] = []
  const loaded: LoadedPlugins = await loadPlugins({
    folders: [directory],
    fromSource,
    defaults: config,
    now: () => time,
    onLog: (entry) => logs.push(entry),
    fetch: async (url, init) => {
      const response = await (answer ? answer(url, init) : fetch(url, init))
      fetches.push({ url, method: init.method ?? 'GET', status: response.status })
      return response
    },
  })
  const plugin = loaded.plugins[0] as LoadedPlugin
  let calls = 0

  const versionOf = (code: string, version: string | undefined): string => {
    const versions = plugin.components.filter((c) => c.code === code).map((c) => c.version)
    if (versions.length === 0) {
      throw new PluginCallError(
        plugin.name,
        `plugin ${plugin.name} has no component ${code} (it has ${plugin.components.map((c) => c.code).join(', ')})`,
      )
    }
    return version ?? 'legacy'
  }

  const call = async (code: string, options: CallOptions = {}): Promise<CallOutcome> => {
    const from = logs.length
    const fromFetch = fetches.length
    calls++
    const result = await loaded.runner.run(
      { code, version: versionOf(code, options.version) },
      options.phase ?? 'execute',
      {
        inputs: options.inputs ?? {},
        outputs: options.outputs ?? {},
        parentData: options.parentData ?? {},
        callbackData: options.callbackData,
        scheduleTimes: options.scheduleTimes ?? 0,
        nodeId: `node${calls}`,
        version: 'v1',
        rootPipelineId: 'pipeline',
        loop: 1,
        innerLoop: 1,
      },
    )
    return { ...result, logs: logs.slice(from), fetches: fetches.slice(fromFetch) }
  }

  const runNode = async (code: string, options: NodeOptions = {}): Promise<NodeRun> => {
    const version = versionOf(code, options.version)
    const mode = loaded.runner.info({ code, version })?.scheduleMode ?? ('none' as const)
    const from = logs.length
    const fromFetch = fetches.length
    const started = time
    const made: NodeCall[] = []
    const run = async (
      phase: 'execute' | 'schedule',
      outputs: Record<string, unknown>,
      scheduleTimes: number,
      callbackData?: unknown,
    ) => {
      const at = (time - started) / 1000
      const answer = await call(code, {
        version,
        phase,
        inputs: options.inputs ?? {},
        outputs,
        parentData: options.parentData ?? {},
        callbackData,
        scheduleTimes,
      })
      const { logs: _, fetches: __, ...result } = answer
      const entry: NodeCall = { phase, at, scheduleTimes, result }
      if (callbackData !== undefined) entry.callbackData = callbackData
      made.push(entry)
      return result
    }
    const end = (state: NodeRun['state'], result: ComponentCallResult): NodeRun => {
      const answer: NodeRun = {
        state,
        outputs: result.outputs,
        calls: made,
        logs: logs.slice(from),
        fetches: fetches.slice(fromFetch),
        elapsedSeconds: (time - started) / 1000,
      }
      if (!result.success && result.error !== undefined) answer.error = result.error
      return answer
    }

    let result = await run('execute', {}, 0)
    if (!result.success) return end('FAILED', result)
    if (mode === 'none') return end('FINISHED', result)
    const limit = options.maxScheduleCalls ?? 100
    const callbacks = [...(options.callbacks ?? [])]
    for (let times = 0; times < limit; times++) {
      if (mode === 'poll') {
        // The engine makes the first poll at once, the next ones after the delay answered.
        if (times > 0) time += Math.max(0, result.pollAfterSeconds ?? 0) * 1000
        result = await run('schedule', result.outputs, times)
      } else {
        if (callbacks.length === 0) return end('WAITING', result)
        result = await run('schedule', result.outputs, times, callbacks.shift())
      }
      if (!result.success) return end('FAILED', result)
      if (result.finished || mode === 'callback') return end('FINISHED', result)
    }
    return end('WAITING', result)
  }

  return {
    plugin,
    clock: {
      now: () => time,
      advance: (seconds) => {
        time += seconds * 1000
      },
    },
    call,
    runNode,
    close: () => loaded.close(),
  }
}
