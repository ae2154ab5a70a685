/** A JSON value: what crosses the sandbox boundary. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue }

/** A JSON Schema (draft 2020-12 / draft-07 keywords); the console draws its forms from it. */
export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  enum?: unknown[]
  default?: unknown
  additionalProperties?: boolean | JsonSchema
  [keyword: string]: unknown
}

/** The schema of a component's inputs or outputs: an object whose properties are the keys. */
export interface ObjectSchema extends JsonSchema {
  type: 'object'
  properties?: Record<string, JsonSchema>
}

/** The pipeline's context given to every call: executor, project id, task id, ... */
export type ParentData = Record<string, unknown> & {
  executor?: string
  operator?: string
  project_id?: number | string
  task_id?: number | string
}

/** Where a call runs: the node, its version and loop counters. */
export interface NodeInfo {
  id: string
  version: string
  rootPipelineId: string
  loop: number
  innerLoop: number
}

/** Structured logging, forwarded to the host's log with the plugin and node attached. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

/** A request of `ctx.fetch`; the body is text. */
export interface HttpRequest {
  method?: string
  headers?: Record<string, string>
  body?: string
}

/** The answer of `ctx.fetch`: the body is read whole by the host (redirects are not followed). */
export interface HttpResponse {
  status: number
  statusText: string
  ok: boolean
  headers: Record<string, string>
  body: string
  /** The body parsed as JSON. */
  json(): unknown
}

/** What the host grants a plugin: nothing else reaches it. */
export interface Capabilities {
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void
  /** Fetches from a host the plugin's configuration allows; any other host is refused. */
  fetch(url: string, init?: HttpRequest): Promise<Omit<HttpResponse, 'json' | 'ok'>>
  /** Waits without blocking the isolate's thread. */
  sleep(seconds: number): Promise<void>
  /** The secrets named in the plugin's configuration. */
  secrets: Record<string, string>
}

/** What `execute` receives. */
export interface ExecuteContext<I = Record<string, unknown>, O = Record<string, unknown>> {
  /** The rendered inputs, validated against the inputs schema. */
  data: I
  /** The outputs so far (those of earlier calls of the same node run). */
  outputs: Partial<O> & Record<string, unknown>
  setOutput<K extends keyof O & string>(key: K, value: O[K]): void
  parentData: ParentData
  node: NodeInfo
  log: Logger
  fetch(url: string, init?: HttpRequest): Promise<HttpResponse>
  sleep(seconds: number): Promise<void>
  /** A secret named in the plugin's configuration, or undefined. */
  secret(name: string): string | undefined
}

/** What `schedule` receives: the execute context plus the waiting controls. */
export interface ScheduleContext<I = Record<string, unknown>, O = Record<string, unknown>>
  extends ExecuteContext<I, O> {
  /** The data of the callback that caused this call (callback components). */
  callbackData: unknown
  /** How many schedule calls ran before this one. */
  scheduleTimes: number
  /** Ends the waiting: the node finishes after this call. */
  finish(): void
  /** Polls again after this many seconds instead of the component's `interval`. */
  pollAfter(seconds: number): void
}

/** A failure with a message, as returned by `fail()`. */
export interface Failure {
  success: false
  error: string
}

/** `false` or a `Failure` fails the node; anything else succeeds. Throwing fails it too. */
// biome-ignore lint/suspicious/noConfusingVoidType: a component may simply return nothing
export type Outcome = boolean | undefined | void | Failure

/** What `defineComponent` takes. */
export interface ComponentSpec<I = Record<string, unknown>, O = Record<string, unknown>> {
  /** Lower snake case, unique across plugins: `sleep_timer`. */
  code: string
  /** `legacy` by default; several versions of a code may be defined side by side. */
  version?: string
  name: string
  group?: string
  description?: string
  inputs: ObjectSchema
  outputs: ObjectSchema
  execute(ctx: ExecuteContext<I, O>): Outcome | Promise<Outcome>
  /** Makes the component wait after execute: polling with `interval`, else for callbacks. */
  schedule?(ctx: ScheduleContext<I, O>): Outcome | Promise<Outcome>
  /** Seconds between schedule calls, or a function of the number of the coming call. */
  interval?: number | ((scheduleTimes: number) => number)
  /** Runs schedule for every callback until `finish()`. */
  multiCallback?: boolean
  /** Seconds a call may take (wall time) before the host ends it; 60 by default. */
  timeout?: number
  /** Marks components meant for tests only. */
  test?: boolean
}

/** A component as `defineComponent` returns it. */
export interface ComponentDefinition<I = Record<string, unknown>, O = Record<string, unknown>>
  extends ComponentSpec<I, O> {
  readonly kind: 'culm.component'
  readonly apiVersion: 1
  version: string
}

/** What `defineLazyVariable` takes. */
export interface LazyVariableSpec {
  code: string
  name?: string
  getValue(
    value: unknown,
    context: { pipelineData: Record<string, unknown>; innerLoop: number },
  ): unknown | Promise<unknown>
}

/** A lazy variable as `defineLazyVariable` returns it. */
export interface LazyVariableDefinition extends LazyVariableSpec {
  readonly kind: 'culm.lazy-variable'
  readonly apiVersion: 1
}

/** What the host sends for one call; all of it is JSON. */
export interface CallRequest {
  phase: 'execute' | 'schedule'
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
  parentData: Record<string, unknown>
  callbackData?: unknown
  scheduleTimes: number
  node: NodeInfo
}

/** What a call answers, as the engine's `ComponentCallResult`. */
export interface CallResult {
  success: boolean
  outputs: Record<string, unknown>
  finished: boolean
  pollAfterSeconds?: number
  error?: string
}

/** How the engine waits after a successful execute. */
export type ScheduleMode = 'none' | 'poll' | 'callback' | 'multi_callback'

/** One declared input or output, derived from a schema property. */
export interface FieldDescription {
  key: string
  name: string
  type: string
  required: boolean
  schema: JsonSchema
}

/** A component as the host and the console see it: JSON only. */
export interface ComponentDescription {
  code: string
  version: string
  name: string
  group?: string
  description?: string
  inputs: ObjectSchema
  outputs: ObjectSchema
  scheduleMode: ScheduleMode
  timeout: number
  test: boolean
}
