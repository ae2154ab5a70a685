import { cloneJson } from './json.js'
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
} from './ports/records.js'
import type { Runtime, StatePatch } from './ports/runtime.js'
import type { StateName } from './states.js'

/**
 * The Runtime in memory, for tests and for embedders that need no persistence. States,
 * processes, schedules, callbacks and histories are copied in and out; JSON documents (trees,
 * node definitions, data, execution data, context values) are kept as given and shared with
 * readers, which never write to them: that is what makes this runtime fast.
 * @example
 * const engine = createEngine({ runtime: new MemoryRuntime() })
 */
export class MemoryRuntime implements Runtime {
  #pipelines = new Map<string, PipelineRecord>()
  #processes = new Map<string, ProcessRecord>()
  #states = new Map<string, StateRecord>()
  #statesByRoot = new Map<string, Set<string>>()
  #statesByParent = new Map<string, Set<string>>()
  #nodes = new Map<string, NodeRecord>()
  #data = new Map<string, DataRecord>()
  #executionData = new Map<string, ExecutionDataRecord>()
  #contexts = new Map<string, Map<string, ContextValue>>()
  #schedules = new Map<string, ScheduleRecord>()
  /** Schedule ids by node, in creation order; brought up to date when `findSchedule` needs it. */
  #schedulesByNode = new Map<string, string[]>()
  /** Schedules created since the index was last brought up to date. */
  #unindexed: ScheduleRecord[] = []
  /** Callbacks not yet taken, by schedule, oldest first. */
  #callbacks = new Map<string, CallbackRecord[]>()
  #callbackIds = new Set<string>()
  #historyCount = 0
  #histories = new Map<string, HistoryRecord[]>()

  async transaction<T>(fn: (tx: Runtime) => Promise<T>): Promise<T> {
    return fn(this)
  }

  async createPipeline(pipeline: PipelineRecord): Promise<void> {
    this.#pipelines.set(pipeline.id, { ...pipeline })
  }

  async getPipeline(id: string): Promise<PipelineRecord | undefined> {
    const pipeline = this.#pipelines.get(id)
    return pipeline && { ...pipeline }
  }

  async createProcesses(processes: ProcessRecord[]): Promise<void> {
    for (const process of processes) this.#processes.set(process.id, cloneJson(process))
  }

  async getProcess(id: string): Promise<ProcessRecord | undefined> {
    // The engine never changes a pipeline stack in place (it writes new arrays), so it is shared.
    const process = this.#processes.get(id)
    return process && { ...process }
  }

  async updateProcess(id: string, patch: Partial<Omit<ProcessRecord, 'id'>>): Promise<void> {
    const process = this.#processes.get(id)
    if (!process) return
    Object.assign(process, patch)
  }

  async findProcesses(
    where: Partial<Omit<ProcessRecord, 'pipelineStack'>>,
  ): Promise<ProcessRecord[]> {
    const entries = Object.entries(where) as Array<[keyof ProcessRecord, unknown]>
    const found: ProcessRecord[] = []
    for (const process of this.#processes.values()) {
      if (process.dead && where.dead !== true) continue
      if (entries.every(([key, value]) => process[key] === value)) {
        found.push({ ...process, pipelineStack: [...process.pipelineStack] })
      }
    }
    return found
  }

  async addAck(id: string): Promise<number> {
    const process = this.#processes.get(id)
    if (!process) return 0
    process.ackNum += 1
    return process.ackNum
  }

  async getState(nodeId: string): Promise<StateRecord | undefined> {
    const state = this.#states.get(nodeId)
    return state && { ...state }
  }

  async getStates(nodeIds: string[]): Promise<StateRecord[]> {
    const found: StateRecord[] = []
    for (const id of nodeIds) {
      const state = this.#states.get(id)
      if (state) found.push({ ...state })
    }
    return found
  }

  async getStatesByRoot(rootId: string): Promise<StateRecord[]> {
    return this.#indexed(this.#statesByRoot, rootId, () => true)
  }

  async getStatesByParent(parentId: string): Promise<StateRecord[]> {
    return this.#indexed(this.#statesByParent, parentId, (s) => s.nodeId !== parentId)
  }

  #indexed(
    index: Map<string, Set<string>>,
    key: string,
    keep: (state: StateRecord) => boolean,
  ): StateRecord[] {
    const found: StateRecord[] = []
    for (const nodeId of index.get(key) ?? []) {
      const state = this.#states.get(nodeId)
      if (state && keep(state)) found.push({ ...state })
    }
    return found
  }

  #index(index: Map<string, Set<string>>, key: string, nodeId: string): void {
    let ids = index.get(key)
    if (!ids) {
      ids = new Set()
      index.set(key, ids)
    }
    ids.add(nodeId)
  }

  async createState(state: StateRecord): Promise<boolean> {
    if (this.#states.has(state.nodeId)) return false
    this.#states.set(state.nodeId, { ...state })
    this.#index(this.#statesByRoot, state.rootId, state.nodeId)
    this.#index(this.#statesByParent, state.parentId, state.nodeId)
    return true
  }

  async updateState(
    nodeId: string,
    expectedVersion: string,
    patch: StatePatch,
    expectedName?: StateName,
  ): Promise<boolean> {
    const state = this.#states.get(nodeId)
    if (!state || state.version !== expectedVersion) return false
    if (expectedName !== undefined && state.name !== expectedName) return false
    if (patch.rootId !== undefined && patch.rootId !== state.rootId) {
      this.#statesByRoot.get(state.rootId)?.delete(nodeId)
      this.#index(this.#statesByRoot, patch.rootId, nodeId)
    }
    if (patch.parentId !== undefined && patch.parentId !== state.parentId) {
      this.#statesByParent.get(state.parentId)?.delete(nodeId)
      this.#index(this.#statesByParent, patch.parentId, nodeId)
    }
    Object.assign(state, patch)
    return true
  }

  async createNodes(nodes: NodeRecord[]): Promise<void> {
    for (const node of nodes) this.#nodes.set(node.id, node)
  }

  async getNode(id: string): Promise<NodeRecord | undefined> {
    // Node definitions are written once and never changed, so readers may share them.
    return this.#nodes.get(id)
  }

  async findNodeIds(ids: string[]): Promise<string[]> {
    return ids.filter((id) => this.#nodes.has(id))
  }

  async setData(nodeId: string, data: DataRecord): Promise<void> {
    this.#data.set(nodeId, data)
  }

  async setDataBatch(entries: Array<[string, DataRecord]>): Promise<void> {
    for (const [nodeId, data] of entries) this.#data.set(nodeId, data)
  }

  async getData(nodeId: string): Promise<DataRecord | undefined> {
    return this.#data.get(nodeId)
  }

  async setExecutionData(nodeId: string, data: ExecutionDataRecord): Promise<void> {
    this.#executionData.set(nodeId, data)
  }

  async getExecutionData(nodeId: string): Promise<ExecutionDataRecord | undefined> {
    return this.#executionData.get(nodeId)
  }

  async getContext(pipelineId: string): Promise<Record<string, ContextValue>> {
    const context = this.#contexts.get(pipelineId)
    return context ? Object.fromEntries(context) : {}
  }

  async upsertContext(pipelineId: string, values: Record<string, ContextValue>): Promise<void> {
    let context = this.#contexts.get(pipelineId)
    if (!context) {
      context = new Map()
      this.#contexts.set(pipelineId, context)
    }
    for (const [key, value] of Object.entries(values)) context.set(key, value)
  }

  async createSchedule(schedule: ScheduleRecord): Promise<void> {
    const stored = { ...schedule }
    if (!this.#schedules.has(schedule.id)) this.#unindexed.push(stored)
    this.#schedules.set(schedule.id, stored)
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const schedule = this.#schedules.get(id)
    return schedule && { ...schedule }
  }

  async findSchedule(
    nodeId: string,
    version: string,
    type?: ScheduleRecord['type'],
  ): Promise<ScheduleRecord | undefined> {
    // Creating a schedule only notes it: the index is brought up to date here, off the hot path.
    for (const created of this.#unindexed) {
      listAt(this.#schedulesByNode, created.nodeId).push(created.id)
    }
    this.#unindexed = []
    for (const id of this.#schedulesByNode.get(nodeId) ?? []) {
      const schedule = this.#schedules.get(id)!
      if (schedule.version !== version) continue
      if (
        type !== undefined
          ? schedule.type === type
          : schedule.type !== 'timeout' && schedule.type !== 'auto_retry'
      ) {
        return { ...schedule }
      }
    }
    return undefined
  }

  async updateSchedule(id: string, patch: Partial<Omit<ScheduleRecord, 'id'>>): Promise<void> {
    const schedule = this.#schedules.get(id)
    if (schedule) Object.assign(schedule, patch)
  }

  async lockSchedule(id: string): Promise<boolean> {
    const schedule = this.#schedules.get(id)
    if (!schedule || schedule.scheduling) return false
    schedule.scheduling = true
    return true
  }

  async findPendingSchedules(): Promise<ScheduleRecord[]> {
    return [...this.#schedules.values()]
      .filter((s) => !s.finished && !s.expired)
      .map((s) => ({ ...s }))
  }

  async addCallback(callback: CallbackRecord): Promise<boolean> {
    if (this.#callbackIds.has(callback.id)) return false
    this.#callbackIds.add(callback.id)
    if (!callback.consumed) listAt(this.#callbacks, callback.scheduleId).push(cloneJson(callback))
    return true
  }

  async nextCallback(scheduleId: string): Promise<CallbackRecord | undefined> {
    const callback = this.#callbacks.get(scheduleId)?.[0]
    return callback ? cloneJson(callback) : undefined
  }

  async consumeCallback(id: string): Promise<boolean> {
    for (const [scheduleId, waiting] of this.#callbacks) {
      const index = waiting.findIndex((callback) => callback.id === id)
      if (index < 0) continue
      waiting.splice(index, 1)
      if (waiting.length === 0) this.#callbacks.delete(scheduleId)
      return true
    }
    return false
  }

  async addHistory(history: Omit<HistoryRecord, 'id'>): Promise<void> {
    const record = { ...cloneJson(history), id: ++this.#historyCount }
    listAt(this.#histories, history.nodeId).push(record)
  }

  async getHistories(nodeId: string): Promise<HistoryRecord[]> {
    return (this.#histories.get(nodeId) ?? []).map((h) => cloneJson(h))
  }
}

/** The list `map` holds for `key`, made empty the first time. */
function listAt<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key)
  if (!list) {
    list = []
    map.set(key, list)
  }
  return list
}
