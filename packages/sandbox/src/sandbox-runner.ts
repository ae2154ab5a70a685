import {
  type ComponentCallInput,
  type ComponentCallOptions,
  type ComponentCallResult,
  type ComponentInfo,
  ComponentNotFoundError,
  type ComponentRef,
  type ComponentRunner,
  defaultVersion,
  UNVERSIONED,
} from '@culm/engine'
import type { CallRequest, ComponentDescription } from '@culm/sdk'
import type { ValidateFunction } from 'ajv'
import { PluginCallError } from './errors.js'
import type { PluginIsolate } from './internal/isolate.js'
import type { IsolatePool } from './internal/pool.js'

/** The limits of the calls into one plugin. */
export interface CallSettings {
  cpuTimeLimitMs: number
  maxPayloadBytes: number
  /** The longest wall time of a call; a component's own `timeout` only lowers it. */
  maxTimeoutSeconds: number
  /** The shortest wait between two polls; a component's `interval` only lengthens it. */
  minPollIntervalSeconds: number
}

/** A loaded plugin as the runner sees it. */
export interface PluginRuntime {
  name: string
  pool: IsolatePool
  settings: CallSettings
  /** Starts a fresh isolate of the plugin, outside the pool. */
  start: () => Promise<PluginIsolate>
}

/** A component the runner can call. */
export interface RunnerComponent {
  plugin: PluginRuntime
  description: ComponentDescription
  info: ComponentInfo
  validate: ValidateFunction
  /** Whether the inputs schema declares properties, which validation may coerce or default. */
  declaresInputs: boolean
}

const SYSTEM_INPUTS = new Set(['_loop', '_inner_loop'])

function failed(outputs: Record<string, unknown>, error: string): ComponentCallResult {
  return { success: false, outputs, finished: false, error }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Outputs one answer may carry: each is a context key the engine may extract and every reader
 * of the node shows, so thousands of them cost the host more than their bytes say.
 */
export const MAX_OUTPUT_KEYS = 1000

/** Checks a plugin's answer: the shape of a call result, nothing more, nothing less. */
function checkResult(plugin: string, value: unknown): ComponentCallResult {
  if (
    !isPlainObject(value) ||
    typeof value.success !== 'boolean' ||
    !isPlainObject(value.outputs)
  ) {
    throw new PluginCallError(
      plugin,
      `plugin ${plugin} answered something that is not a call result`,
    )
  }
  let keys = 0
  for (const _ in value.outputs) {
    if (++keys > MAX_OUTPUT_KEYS) {
      throw new PluginCallError(
        plugin,
        `plugin ${plugin} answered more than ${MAX_OUTPUT_KEYS} outputs; a node keeps at most ${MAX_OUTPUT_KEYS}`,
      )
    }
  }
  const result: ComponentCallResult = {
    success: value.success,
    outputs: value.outputs,
    finished: value.finished === true,
  }
  if (typeof value.pollAfterSeconds === 'number' && value.pollAfterSeconds >= 0) {
    result.pollAfterSeconds = value.pollAfterSeconds
  }
  if (typeof value.error === 'string') result.error = value.error
  return result
}

/**
 * Runs the components of sandboxed plugins: validates the inputs against the component's schema,
 * sends the call as JSON to one of the plugin's isolates and checks the JSON answer. Every failure
 * of the plugin (a throw, a limit, a dead isolate, an invalid answer) fails the node with a
 * message; the host and the other plugins go on.
 */
export class SandboxRunner implements ComponentRunner {
  readonly #components = new Map<string, RunnerComponent>()
  readonly #byCode = new Map<string, RunnerComponent[]>()
  readonly #lazy = new Map<string, PluginRuntime>()
  readonly #plugins = new Map<string, PluginRuntime>()

  /** Adds components; the loader has already refused collisions. */
  add(components: RunnerComponent[], lazyCodes: Array<[string, PluginRuntime]> = []): void {
    for (const component of components) {
      this.#plugins.set(component.plugin.name, component.plugin)
      const { code, version } = component.description
      this.#components.set(`${code}@${version}`, component)
      this.#byCode.set(code, [...(this.#byCode.get(code) ?? []), component])
    }
    for (const [code, plugin] of lazyCodes) {
      this.#plugins.set(plugin.name, plugin)
      this.#lazy.set(code, plugin)
    }
  }

  /**
   * Puts a plugin's new components and lazy variables in place of its old ones (a reload):
   * calls already running keep the runtime they started with.
   */
  replace(
    plugin: string,
    components: RunnerComponent[],
    lazyCodes: Array<[string, PluginRuntime]> = [],
  ): void {
    for (const [key, component] of this.#components) {
      if (component.plugin.name === plugin) this.#components.delete(key)
    }
    for (const [code, list] of this.#byCode) {
      const kept = list.filter((c) => c.plugin.name !== plugin)
      if (kept.length > 0) this.#byCode.set(code, kept)
      else this.#byCode.delete(code)
    }
    for (const [code, runtime] of this.#lazy) {
      if (runtime.name === plugin) this.#lazy.delete(code)
    }
    this.#plugins.delete(plugin)
    this.add(components, lazyCodes)
  }

  #find(ref: ComponentRef): RunnerComponent | undefined {
    const exact = this.#components.get(`${ref.code}@${ref.version}`)
    if (exact || ref.version !== UNVERSIONED) return exact
    // As the engine's registry: `legacy` if defined, else the highest version.
    const versions = (this.#byCode.get(ref.code) ?? []).map((c) => c.description.version)
    const version = defaultVersion(versions)
    return version === undefined ? undefined : this.#components.get(`${ref.code}@${version}`)
  }

  info(ref: ComponentRef): ComponentInfo | undefined {
    return this.#find(ref)?.info
  }

  async run(
    ref: ComponentRef,
    phase: 'execute' | 'schedule',
    input: ComponentCallInput,
    options: ComponentCallOptions = {},
  ): Promise<ComponentCallResult> {
    const component = this.#find(ref)
    if (!component) throw new ComponentNotFoundError(ref.code, ref.version)
    const { plugin, description } = component
    const label = `${description.code} ${description.version}`
    const checked: Record<string, unknown> = {}
    const system: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(input.inputs)) {
      if (SYSTEM_INPUTS.has(key)) system[key] = value
      else checked[key] = value
    }
    // Validation coerces ("3" for an integer input) and fills defaults: only declared properties,
    // so only a schema that declares some needs a copy to keep the engine's records untouched.
    const copy = component.declaresInputs ? structuredClone(checked) : checked
    if (!component.validate(copy)) {
      const problems = (component.validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
        .join('; ')
      return failed(input.outputs, `inputs of component ${label} are invalid: ${problems}`)
    }
    const request: CallRequest = {
      phase,
      inputs: { ...copy, ...system },
      outputs: input.outputs,
      parentData: input.parentData,
      scheduleTimes: input.scheduleTimes,
      node: {
        id: input.nodeId,
        version: input.version,
        rootPipelineId: input.rootPipelineId,
        loop: input.loop,
        innerLoop: input.innerLoop,
      },
    }
    if (input.callbackData !== undefined) request.callbackData = input.callbackData
    const payload = JSON.stringify({ key: `${description.code}@${description.version}`, request })
    if (payload.length > plugin.settings.maxPayloadBytes) {
      return failed(
        input.outputs,
        `the call of component ${label} is ${payload.length} bytes, over the limit of ${plugin.settings.maxPayloadBytes}`,
      )
    }
    try {
      const answer = await plugin.pool.use((isolate) =>
        isolate.invoke('call', payload, {
          cpuMs: plugin.settings.cpuTimeLimitMs,
          wallMs: Math.min(description.timeout, plugin.settings.maxTimeoutSeconds) * 1000,
          signal: options.signal,
          tags: {
            component: `${description.code}@${description.version}`,
            pipelineId: input.rootPipelineId,
            nodeId: input.nodeId,
          },
        }),
      )
      if (answer.length > plugin.settings.maxPayloadBytes) {
        return failed(
          input.outputs,
          `component ${label} answered ${answer.length} bytes, over the limit of ${plugin.settings.maxPayloadBytes}`,
        )
      }
      const result = checkResult(plugin.name, JSON.parse(answer))
      if (phase === 'schedule' && !result.finished) {
        result.pollAfterSeconds = Math.max(
          result.pollAfterSeconds ?? 0,
          plugin.settings.minPollIntervalSeconds,
        )
      }
      return result
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return failed(input.outputs, `component ${label}: ${message}`)
    }
  }

  hasLazy(code: string): boolean {
    return this.#lazy.has(code)
  }

  async lazy(
    code: string,
    value: unknown,
    context: { pipelineData: Record<string, unknown>; innerLoop: number },
  ): Promise<unknown> {
    const plugin = this.#lazy.get(code)
    if (!plugin) throw new ComponentNotFoundError(code, 'lazy')
    const payload = JSON.stringify({ code, value, context })
    const answer = await plugin.pool.use((isolate) =>
      isolate.invoke('lazy', payload, { cpuMs: plugin.settings.cpuTimeLimitMs, wallMs: 60_000 }),
    )
    const outcome = JSON.parse(answer) as { ok: boolean; value?: unknown; error?: string }
    if (!outcome.ok) {
      throw new PluginCallError(plugin.name, outcome.error ?? `lazy variable ${code} failed`)
    }
    return outcome.value
  }

  /**
   * Starts a fresh isolate of a plugin, asks it for its components and disposes it: a health
   * check, and the measure of an isolate's start-up. Answers the milliseconds it took.
   */
  async checkPlugin(name: string): Promise<number> {
    const plugin = this.#plugins.get(name)
    if (!plugin) throw new PluginCallError(name, `plugin ${name} is not loaded`)
    const started = performance.now()
    const isolate = await plugin.start()
    try {
      await isolate.invoke('describe', '', { cpuMs: 5000, wallMs: 10_000 })
    } finally {
      isolate.dispose()
    }
    return performance.now() - started
  }

  /** The components the runner holds. */
  components(): ComponentDescription[] {
    return [...this.#components.values()].map((c) => c.description)
  }
}
