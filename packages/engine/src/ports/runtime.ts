import type { StateName } from '../states.js'
import type {
  CallbackRecord,
  ContextValue,
  DataRecord,
  ExecutionDataRecord,
  HistoryRecord,
  NodeRecord,
  PipelineRecord,
  ProcessRecord,
  ScheduleRecord,
  StateRecord,
} from './records.js'

/** Started pipelines. */
export interface PipelineStore {
  createPipeline(pipeline: PipelineRecord): Promise<void>
  getPipeline(id: string): Promise<PipelineRecord | undefined>
}

/** Execution threads. */
export interface ProcessStore {
  createProcesses(processes: ProcessRecord[]): Promise<void>
  getProcess(id: string): Promise<ProcessRecord | undefined>
  updateProcess(id: string, patch: Partial<Omit<ProcessRecord, 'id'>>): Promise<void>
  /** Live processes whose fields equal every field of `where`. */
  findProcesses(where: Partial<Omit<ProcessRecord, 'pipelineStack'>>): Promise<ProcessRecord[]>
  /** Adds one acknowledgement to a parent and answers the new count, atomically. */
  addAck(id: string): Promise<number>
}

/** What a state write changes; counters are set, not added, so a write is idempotent. */
export type StatePatch = Partial<Omit<StateRecord, 'nodeId'>>

/** Node states; every update is a compare-and-set on `version`. */
export interface StateStore {
  getState(nodeId: string): Promise<StateRecord | undefined>
  getStates(nodeIds: string[]): Promise<StateRecord[]>
  getStatesByRoot(rootId: string): Promise<StateRecord[]>
  getStatesByParent(parentId: string): Promise<StateRecord[]>
  /** Creates a state; answers false and changes nothing if the node has one already. */
  createState(state: StateRecord): Promise<boolean>
  /**
   * Updates a state if its version is still `expectedVersion` (and, when given, its name is
   * `expectedName`); answers whether it did. With an empty patch it only checks, and inside a
   * transaction keeps the row from other writers until the commit (a guard for a decision taken
   * on the state, such as suspending a process because its pipeline is paused).
   */
  updateState(
    nodeId: string,
    expectedVersion: string,
    patch: StatePatch,
    expectedName?: StateName,
  ): Promise<boolean>
}

/** Compiled node definitions. */
export interface NodeStore {
  createNodes(nodes: NodeRecord[]): Promise<void>
  getNode(id: string): Promise<NodeRecord | undefined>
  /** The ids among `ids` that name stored nodes, in the order given. */
  findNodeIds(ids: string[]): Promise<string[]>
}

/** Configured inputs, and inputs and outputs as run. */
export interface DataStore {
  setData(nodeId: string, data: DataRecord): Promise<void>
  setDataBatch(entries: Array<[string, DataRecord]>): Promise<void>
  getData(nodeId: string): Promise<DataRecord | undefined>
  setExecutionData(nodeId: string, data: ExecutionDataRecord): Promise<void>
  getExecutionData(nodeId: string): Promise<ExecutionDataRecord | undefined>
}

/** Context variables, per (sub)pipeline id. */
export interface ContextStore {
  getContext(pipelineId: string): Promise<Record<string, ContextValue>>
  /** Writes the given keys (others are kept). */
  upsertContext(pipelineId: string, values: Record<string, ContextValue>): Promise<void>
}

/** Pending polls, callbacks, timeouts and automatic retries. */
export interface ScheduleStore {
  createSchedule(schedule: ScheduleRecord): Promise<void>
  getSchedule(id: string): Promise<ScheduleRecord | undefined>
  findSchedule(
    nodeId: string,
    version: string,
    type?: ScheduleRecord['type'],
  ): Promise<ScheduleRecord | undefined>
  updateSchedule(id: string, patch: Partial<Omit<ScheduleRecord, 'id'>>): Promise<void>
  /** Sets `scheduling` if it was clear; answers whether this caller holds the lock. */
  lockSchedule(id: string): Promise<boolean>
  /** Every schedule neither finished nor expired, oldest first (for recovery). */
  findPendingSchedules(): Promise<ScheduleRecord[]>
}

/** Callback data waiting for a schedule call. */
export interface CallbackStore {
  /** Stores a callback; false (and nothing stored) when one with its id exists. */
  addCallback(callback: CallbackRecord): Promise<boolean>
  /**
   * The oldest callback of a schedule not yet consumed, left as it is: the step that holds the
   * schedule's lock consumes it with the call's result, so a call that never ends (its worker
   * stopped) leaves it for the next one.
   */
  nextCallback(scheduleId: string): Promise<CallbackRecord | undefined>
  /** Marks a callback consumed; false when it was consumed already (or is unknown). */
  consumeCallback(id: string): Promise<boolean>
}

/** Archived runs of nodes. */
export interface HistoryStore {
  addHistory(history: Omit<HistoryRecord, 'id'>): Promise<void>
  getHistories(nodeId: string): Promise<HistoryRecord[]>
}

/**
 * Everything the engine keeps, behind one interface: the engine knows no database. `transaction`
 * runs one engine step atomically; an implementation may group consecutive steps of a process.
 */
export interface Runtime
  extends PipelineStore,
    ProcessStore,
    StateStore,
    NodeStore,
    DataStore,
    ContextStore,
    ScheduleStore,
    CallbackStore,
    HistoryStore {
  transaction<T>(fn: (tx: Runtime) => Promise<T>): Promise<T>
  /** Whether an error thrown by this runtime left a step rolled back and safe to run again. */
  isInterruption?(error: unknown): boolean
  /**
   * Whether this runtime (a transaction's) holds a database transaction open now. The engine
   * calls no component while one is open: it commits first.
   */
  holdsTransaction?(): boolean
}
