import type { StateName } from '../states.js'

/** An execution thread: the token that walks the graph. Forks create children; joins ack the parent. */
export interface ProcessRecord {
  id: string
  rootPipelineId: string
  parentId: string | null
  /** For a forked child: the converge gateway where it ends and acks its parent. */
  destinationId: string | null
  currentNodeId: string
  /** Ids of the (sub)pipelines the process is inside; the last is the innermost. */
  pipelineStack: string[]
  asleep: boolean
  suspended: boolean
  suspendedBy: string | null
  dead: boolean
  ackNum: number
  needAck: number
  /** The node at which `recover()` last picked the process up, and how often in a row. */
  recoveredAt?: string | null
  recoveries?: number
}

/** The state of a node, or of a (sub)pipeline (keyed by its id). */
export interface StateRecord {
  nodeId: string
  rootId: string
  parentId: string
  name: StateName
  /** Refreshed on every transition that restarts the node; every write compares it. */
  version: string
  loop: number
  innerLoop: number
  retry: number
  skip: boolean
  errorIgnored: boolean
  createdTime: number
  startedTime: number | null
  archivedTime: number | null
}

/** Where a flow leaves a node to. */
export interface NodeTarget {
  flowId: string
  targetId: string
}

/** A gateway condition compiled for execution. */
export interface NodeCondition {
  flowId: string
  targetId: string
  evaluate: string
}

/** The compiled definition of a node, written when a pipeline starts. */
export interface NodeRecord {
  id: string
  type: string
  name: string
  /** The (sub)pipeline that holds the node. */
  pipelineId: string
  rootPipelineId: string
  targets: NodeTarget[]
  canSkip: boolean
  canRetry: boolean
  errorIgnorable: boolean
  component?: { code: string; version: string }
  conditions?: NodeCondition[]
  defaultFlowId?: string
  convergeGatewayId?: string
  /** `first` takes the first true branch of an exclusive gateway. */
  strategy?: 'only' | 'first'
  timeout?: { seconds: number; action: 'forced_fail' | 'forced_fail_and_skip' }
  autoRetry?: { times: number; intervalSeconds: number }
  loopConfig?: {
    loopTimes: number
    failSkip: boolean
    retryable: boolean
    skippable: boolean
    outputsKey: string
  }
  /** For a subprocess: the start event of its tree. */
  startEventId?: string
  /** For an end event or a subprocess: the keys its pipeline exports. */
  pipelineOutputs?: string[]
  /** For a start event: context keys rendered once and frozen. */
  preRenderKeys?: string[]
}

/** One input of a node as configured: rendered against the context unless `needRender` is false. */
export interface DataInput {
  needRender: boolean
  value: unknown
  /** The lazy variable code, for a `lazy` input. */
  customType?: string
}

/** A node's configured inputs and its output map (output key -> context keys). */
export interface DataRecord {
  inputs: Record<string, DataInput>
  outputs: Record<string, string[]>
}

/** A node's inputs and outputs as last run. */
export interface ExecutionDataRecord {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
}

/** A context variable of a (sub)pipeline. */
export interface ContextValue {
  type: 'plain' | 'splice' | 'lazy'
  value: unknown
  customType?: string
}

/** How a schedule is driven. */
export type ScheduleType = 'poll' | 'callback' | 'multi_callback' | 'timeout' | 'auto_retry'

/** A pending wait of a node at one version: polls, callbacks, a timeout or an automatic retry. */
export interface ScheduleRecord {
  id: string
  type: ScheduleType
  processId: string
  nodeId: string
  version: string
  finished: boolean
  expired: boolean
  /** Set while a schedule call runs, so that two never overlap. */
  scheduling: boolean
  times: number
  /** When the next call is due (epoch ms); null while it waits for a callback. */
  dueAt: number | null
}

/** Data sent by `callback`, consumed by one schedule call. */
export interface CallbackRecord {
  id: string
  scheduleId: string
  nodeId: string
  version: string
  data: unknown
  consumed: boolean
}

/** One earlier run of a node, archived on retry, skip and re-entry. */
export interface HistoryRecord {
  id: number
  nodeId: string
  loop: number
  retry: number
  skip: boolean
  version: string
  startedTime: number | null
  archivedTime: number | null
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
}

/** A started pipeline: its tree and how it was started. */
export interface PipelineRecord {
  id: string
  tree: unknown
  rootPipelineData: Record<string, unknown>
  createdTime: number
}
