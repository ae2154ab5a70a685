import { defaultVersion, UNVERSIONED } from './component-version.js'
import { ComponentNotFoundError, InvalidOperationError } from './errors.js'
import { cloneJson } from './json.js'
import type {
  ComponentCallInput,
  ComponentCallResult,
  ComponentInfo,
  ComponentRef,
  ComponentRunner,
} from './ports/components.js'

/** A component's view of its inputs and outputs, as the Python engine's `DataObject`. */
export interface ComponentData {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
  /** An input, or `fallback` when it is absent. */
  getInput<T = unknown>(key: string, fallback?: T): T
  /** An output, or `fallback` when it is absent. */
  getOutput<T = unknown>(key: string, fallback?: T): T
  setOutput(key: string, value: unknown): void
}

/** What a call knows besides its data, and the way a schedule call ends the waiting. */
export interface ComponentControls {
  nodeId: string
  version: string
  rootPipelineId: string
  loop: number
  innerLoop: number
  scheduleTimes: number
  /** Ends polling or multi-callback waiting after this call. */
  finishSchedule(): void
}

/** `false` fails the node; anything else succeeds. */
// biome-ignore lint/suspicious/noConfusingVoidType: a component may simply return nothing
export type ComponentOutcome = boolean | undefined | void

/** One declared input or output of a component, as the Python engine's `InputItem`/`OutputItem`. */
export interface ComponentField {
  key: string
  name?: string
  type?: string
  required?: boolean
  /** A JSON Schema of the value. */
  schema?: Record<string, unknown>
}

/** A component run in process. */
export interface Component {
  code: string
  /** `legacy` by default. */
  version?: string
  name?: string
  execute(
    data: ComponentData,
    parentData: ComponentData,
    controls: ComponentControls,
  ): ComponentOutcome | Promise<ComponentOutcome>
  schedule?(
    data: ComponentData,
    parentData: ComponentData,
    callbackData: unknown,
    controls: ComponentControls,
  ): ComponentOutcome | Promise<ComponentOutcome>
  /** Poll every `interval` seconds (or as the function says for the n-th poll); else wait for callbacks. */
  interval?: number | ((scheduleTimes: number) => number)
  multiCallback?: boolean
  /** Marks components meant for tests only. */
  test?: boolean
  /** The inputs the component reads. */
  inputs?: ComponentField[]
  /** The outputs the component writes (`_result`, `_loop`, `_inner_loop` are always added). */
  outputs?: ComponentField[]
}

/** A lazy variable: computes a context value at render time. */
export interface LazyVariable {
  code: string
  getValue(
    value: unknown,
    context: { pipelineData: Record<string, unknown>; innerLoop: number },
  ): unknown | Promise<unknown>
}

function dataObject(
  inputs: Record<string, unknown>,
  outputs: Record<string, unknown>,
): ComponentData {
  return {
    inputs,
    outputs,
    getInput: <T>(key: string, fallback?: T) => (key in inputs ? inputs[key] : fallback) as T,
    getOutput: <T>(key: string, fallback?: T) => (key in outputs ? outputs[key] : fallback) as T,
    setOutput: (key, value) => {
      outputs[key] = value
    },
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  return String(error)
}

/**
 * Components and lazy variables run in process, looked up by code and version.
 * @example
 * const registry = new ComponentRegistry()
 * registry.register({ code: 'hello', execute: (data) => data.setOutput('greeting', 'hi') })
 * const engine = createEngine({ components: registry })
 */
export class ComponentRegistry implements ComponentRunner {
  #components = new Map<string, Component>()
  #lazy = new Map<string, LazyVariable>()

  /** Adds components; a code and version registered twice is refused. */
  register(...components: Component[]): this {
    for (const component of components) {
      const key = `${component.code}@${component.version ?? 'legacy'}`
      if (this.#components.has(key)) {
        throw new InvalidOperationError(
          `component ${component.code} version ${component.version ?? 'legacy'} is already registered`,
        )
      }
      this.#components.set(key, component)
    }
    return this
  }

  /** Adds lazy variables by code. */
  registerLazy(...variables: LazyVariable[]): this {
    for (const variable of variables) this.#lazy.set(variable.code, variable)
    return this
  }

  /** Whether a component is known; without a version, whether any version is. */
  has(code: string, version?: string): boolean {
    if (version !== undefined) return this.#components.has(`${code}@${version}`)
    return (
      this.#components.has(`${code}@legacy`) ||
      [...this.#components.values()].some((c) => c.code === code)
    )
  }

  /** Every registered component. */
  list(): Component[] {
    return [...this.#components.values()]
  }

  #find(ref: ComponentRef): Component | undefined {
    const exact = this.#components.get(`${ref.code}@${ref.version}`)
    if (exact || ref.version !== UNVERSIONED) return exact
    const versions = this.list()
      .filter((c) => c.code === ref.code)
      .map((c) => c.version ?? UNVERSIONED)
    const version = defaultVersion(versions)
    return version === undefined ? undefined : this.#components.get(`${ref.code}@${version}`)
  }

  info(ref: ComponentRef): ComponentInfo | undefined {
    const component = this.#find(ref)
    if (!component) return undefined
    let scheduleMode: ComponentInfo['scheduleMode'] = 'none'
    if (component.schedule) {
      if (component.multiCallback) scheduleMode = 'multi_callback'
      else if (component.interval !== undefined) scheduleMode = 'poll'
      else scheduleMode = 'callback'
    }
    return {
      code: component.code,
      version: component.version ?? 'legacy',
      name: component.name ?? component.code,
      scheduleMode,
      inputs: component.inputs ?? [],
      outputs: component.outputs ?? [],
    }
  }

  async run(
    ref: ComponentRef,
    phase: 'execute' | 'schedule',
    input: ComponentCallInput,
  ): Promise<ComponentCallResult> {
    const component = this.#find(ref)
    if (!component) throw new ComponentNotFoundError(ref.code, ref.version)
    // A component gets its own copies: whatever it does to them never reaches stored records.
    let outputs: Record<string, unknown>
    let data: ComponentData
    let parentData: ComponentData
    try {
      outputs = cloneJson(input.outputs)
      data = dataObject(cloneJson(input.inputs), outputs)
      parentData = dataObject(cloneJson(input.parentData), {})
    } catch (copyError) {
      // Data too deep to copy fails the call (and so the node), never the engine's step.
      if (!(copyError instanceof RangeError)) throw copyError
      const error = 'the node data is nested too deeply to be handed to the component'
      return { success: false, outputs: {}, finished: false, error }
    }
    let finished = false
    const controls: ComponentControls = {
      nodeId: input.nodeId,
      version: input.version,
      rootPipelineId: input.rootPipelineId,
      loop: input.loop,
      innerLoop: input.innerLoop,
      scheduleTimes: input.scheduleTimes,
      finishSchedule: () => {
        finished = true
      },
    }
    try {
      const outcome =
        phase === 'execute'
          ? await component.execute(data, parentData, controls)
          : await component.schedule?.(data, parentData, input.callbackData, controls)
      const result: ComponentCallResult = { success: outcome !== false, outputs, finished }
      if (phase === 'schedule' && component.interval !== undefined) {
        result.pollAfterSeconds =
          typeof component.interval === 'function'
            ? component.interval(input.scheduleTimes + 1)
            : component.interval
      }
      return result
    } catch (error) {
      return { success: false, outputs, finished: false, error: describeError(error) }
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
    const variable = this.#lazy.get(code)
    if (!variable) throw new ComponentNotFoundError(code, 'lazy')
    return variable.getValue(value, context)
  }
}
