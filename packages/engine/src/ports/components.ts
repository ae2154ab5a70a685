/** Identifies a component: code and version (`legacy` when a tree names none). */
export interface ComponentRef {
  code: string
  version: string
}

/** How a component waits after a successful execute. */
export type ScheduleMode = 'none' | 'poll' | 'callback' | 'multi_callback'

/** A declared input or output of a component. */
export interface ComponentFieldInfo {
  key: string
  name?: string
  type?: string
  required?: boolean
  schema?: Record<string, unknown>
}

/** What the engine needs to know about a component before running it. */
export interface ComponentInfo {
  code: string
  version: string
  name: string
  scheduleMode: ScheduleMode
  inputs?: ComponentFieldInfo[]
  outputs?: ComponentFieldInfo[]
}

/** What a component call receives; all of it is plain JSON. */
export interface ComponentCallInput {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
  /** The root pipeline's data: executor, project id, task id, ... */
  parentData: Record<string, unknown>
  callbackData?: unknown
  /** How many schedule calls ran before this one. */
  scheduleTimes: number
  nodeId: string
  version: string
  rootPipelineId: string
  loop: number
  innerLoop: number
}

/** What a component call answers. */
export interface ComponentCallResult {
  success: boolean
  outputs: Record<string, unknown>
  /** A schedule call that ends the node's waiting. */
  finished: boolean
  /** For polling: seconds until the next schedule call. */
  pollAfterSeconds?: number
  /** A failure's reason, recorded as `ex_data` when the component set none. */
  error?: string
}

/** How the engine may steer a component call while it runs. */
export interface ComponentCallOptions {
  /**
   * Aborted when the engine no longer wants the answer (the node was force-failed, timed out or
   * its pipeline revoked): a runner that can stop the call (a sandbox terminates it) should.
   */
  signal?: AbortSignal
}

/** Runs components: in process, or sandboxed in an isolate. */
export interface ComponentRunner {
  info(ref: ComponentRef): ComponentInfo | undefined
  run(
    ref: ComponentRef,
    phase: 'execute' | 'schedule',
    input: ComponentCallInput,
    options?: ComponentCallOptions,
  ): Promise<ComponentCallResult>
  /** Computes a lazy variable (`type: lazy`, `custom_type: code`). */
  lazy?(
    code: string,
    value: unknown,
    context: { pipelineData: Record<string, unknown>; innerLoop: number },
  ): Promise<unknown>
  hasLazy?(code: string): boolean
}
