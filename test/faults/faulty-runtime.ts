import {
  type CallbackRecord,
  type ContextValue,
  type DataRecord,
  type ExecutionDataRecord,
  type HistoryRecord,
  type NodeRecord,
  type PipelineRecord,
  type ProcessRecord,
  type Runtime,
  RuntimeInterruptedError,
  type ScheduleRecord,
  type StateName,
  type StatePatch,
  type StateRecord,
} from '@culm/engine'

/** A method of the Runtime port that reads or writes (every one but `transaction`). */
export type RuntimeMethod = Exclude<keyof Runtime, 'transaction' | 'isInterruption'>

/** Makes the `n`-th call (from 1, over the whole run) of `method` inside a transaction throw. */
export interface FaultPlan {
  method: RuntimeMethod
  n: number
  /** Throw before delegating, or after the delegated call answered (its write is then undone). */
  when: 'before' | 'after'
}

/** What a family of wrappers shares: the plan, the calls counted so far, whether it fired. */
interface FaultLog {
  plan: FaultPlan | undefined
  counts: Map<RuntimeMethod, number>
  fired: boolean
}

/**
 * A Runtime around a real one that counts the calls made inside transactions and, given a plan,
 * throws a `RuntimeInterruptedError` at one of them, as a lost connection or a deadlock would.
 */
export class FaultyRuntime implements Runtime {
  readonly #inner: Runtime
  #log: FaultLog
  #inTransaction = false

  /** Without a plan the wrapper only counts. */
  constructor(inner: Runtime, plan?: FaultPlan) {
    this.#inner = inner
    this.#log = { plan, counts: new Map(), fired: false }
  }

  /** The wrapper handed to a transaction's function: it shares the log and counts its calls. */
  static #within(tx: Runtime, log: FaultLog): FaultyRuntime {
    const wrapper = new FaultyRuntime(tx)
    wrapper.#log = log
    wrapper.#inTransaction = true
    return wrapper
  }

  /** Calls per method made inside transactions so far. */
  get counts(): ReadonlyMap<RuntimeMethod, number> {
    return this.#log.counts
  }

  /** Whether the planned fault was thrown. */
  get fired(): boolean {
    return this.#log.fired
  }

  transaction<T>(fn: (tx: Runtime) => Promise<T>): Promise<T> {
    return this.#inner.transaction((tx) => fn(FaultyRuntime.#within(tx, this.#log)))
  }

  isInterruption(error: unknown): boolean {
    return this.#inner.isInterruption?.(error) === true
  }

  async #call<T>(method: RuntimeMethod, run: () => Promise<T>): Promise<T> {
    if (!this.#inTransaction) return run()
    const log = this.#log
    const n = (log.counts.get(method) ?? 0) + 1
    log.counts.set(method, n)
    const plan = log.plan
    const hit = plan !== undefined && !log.fired && plan.method === method && plan.n === n
    if (hit && plan.when === 'before') {
      log.fired = true
      throw new RuntimeInterruptedError(`injected fault before call ${n} of ${method}`)
    }
    const answer = await run()
    if (hit) {
      log.fired = true
      throw new RuntimeInterruptedError(`injected fault after call ${n} of ${method}`)
    }
    return answer
  }

  createPipeline(pipeline: PipelineRecord): Promise<void> {
    return this.#call('createPipeline', () => this.#inner.createPipeline(pipeline))
  }
  getPipeline(id: string): Promise<PipelineRecord | undefined> {
    return this.#call('getPipeline', () => this.#inner.getPipeline(id))
  }

  createProcesses(processes: ProcessRecord[]): Promise<void> {
    return this.#call('createProcesses', () => this.#inner.createProcesses(processes))
  }
  getProcess(id: string): Promise<ProcessRecord | undefined> {
    return this.#call('getProcess', () => this.#inner.getProcess(id))
  }
  updateProcess(id: string, patch: Partial<Omit<ProcessRecord, 'id'>>): Promise<void> {
    return this.#call('updateProcess', () => this.#inner.updateProcess(id, patch))
  }
  findProcesses(where: Partial<Omit<ProcessRecord, 'pipelineStack'>>): Promise<ProcessRecord[]> {
    return this.#call('findProcesses', () => this.#inner.findProcesses(where))
  }
  addAck(id: string): Promise<number> {
    return this.#call('addAck', () => this.#inner.addAck(id))
  }

  getState(nodeId: string): Promise<StateRecord | undefined> {
    return this.#call('getState', () => this.#inner.getState(nodeId))
  }
  getStates(nodeIds: string[]): Promise<StateRecord[]> {
    return this.#call('getStates', () => this.#inner.getStates(nodeIds))
  }
  getStatesByRoot(rootId: string): Promise<StateRecord[]> {
    return this.#call('getStatesByRoot', () => this.#inner.getStatesByRoot(rootId))
  }
  getStatesByParent(parentId: string): Promise<StateRecord[]> {
    return this.#call('getStatesByParent', () => this.#inner.getStatesByParent(parentId))
  }
  createState(state: StateRecord): Promise<boolean> {
    return this.#call('createState', () => this.#inner.createState(state))
  }
  updateState(
    nodeId: string,
    expectedVersion: string,
    patch: StatePatch,
    expectedName?: StateName,
  ): Promise<boolean> {
    return this.#call('updateState', () =>
      this.#inner.updateState(nodeId, expectedVersion, patch, expectedName),
    )
  }

  createNodes(nodes: NodeRecord[]): Promise<void> {
    return this.#call('createNodes', () => this.#inner.createNodes(nodes))
  }
  findNodeIds(ids: string[]): Promise<string[]> {
    return this.#call('findNodeIds', () => this.#inner.findNodeIds(ids))
  }

  getNode(id: string): Promise<NodeRecord | undefined> {
    return this.#call('getNode', () => this.#inner.getNode(id))
  }

  setData(nodeId: string, data: DataRecord): Promise<void> {
    return this.#call('setData', () => this.#inner.setData(nodeId, data))
  }
  setDataBatch(entries: Array<[string, DataRecord]>): Promise<void> {
    return this.#call('setDataBatch', () => this.#inner.setDataBatch(entries))
  }
  getData(nodeId: string): Promise<DataRecord | undefined> {
    return this.#call('getData', () => this.#inner.getData(nodeId))
  }
  setExecutionData(nodeId: string, data: ExecutionDataRecord): Promise<void> {
    return this.#call('setExecutionData', () => this.#inner.setExecutionData(nodeId, data))
  }
  getExecutionData(nodeId: string): Promise<ExecutionDataRecord | undefined> {
    return this.#call('getExecutionData', () => this.#inner.getExecutionData(nodeId))
  }

  getContext(pipelineId: string): Promise<Record<string, ContextValue>> {
    return this.#call('getContext', () => this.#inner.getContext(pipelineId))
  }
  upsertContext(pipelineId: string, values: Record<string, ContextValue>): Promise<void> {
    return this.#call('upsertContext', () => this.#inner.upsertContext(pipelineId, values))
  }

  createSchedule(schedule: ScheduleRecord): Promise<void> {
    return this.#call('createSchedule', () => this.#inner.createSchedule(schedule))
  }
  getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    return this.#call('getSchedule', () => this.#inner.getSchedule(id))
  }
  findSchedule(
    nodeId: string,
    version: string,
    type?: ScheduleRecord['type'],
  ): Promise<ScheduleRecord | undefined> {
    return this.#call('findSchedule', () => this.#inner.findSchedule(nodeId, version, type))
  }
  updateSchedule(id: string, patch: Partial<Omit<ScheduleRecord, 'id'>>): Promise<void> {
    return this.#call('updateSchedule', () => this.#inner.updateSchedule(id, patch))
  }
  lockSchedule(id: string): Promise<boolean> {
    return this.#call('lockSchedule', () => this.#inner.lockSchedule(id))
  }
  findPendingSchedules(): Promise<ScheduleRecord[]> {
    return this.#call('findPendingSchedules', () => this.#inner.findPendingSchedules())
  }

  addCallback(callback: CallbackRecord): Promise<boolean> {
    return this.#call('addCallback', () => this.#inner.addCallback(callback))
  }
  nextCallback(scheduleId: string): Promise<CallbackRecord | undefined> {
    return this.#call('nextCallback', () => this.#inner.nextCallback(scheduleId))
  }

  consumeCallback(id: string): Promise<boolean> {
    return this.#call('consumeCallback', () => this.#inner.consumeCallback(id))
  }

  addHistory(history: Omit<HistoryRecord, 'id'>): Promise<void> {
    return this.#call('addHistory', () => this.#inner.addHistory(history))
  }
  getHistories(nodeId: string): Promise<HistoryRecord[]> {
    return this.#call('getHistories', () => this.#inner.getHistories(nodeId))
  }
}
