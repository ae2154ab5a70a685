import type {
  CallbackRecord,
  ContextValue,
  DataRecord,
  ExecutionDataRecord,
  HistoryRecord,
  NodeRecord,
  PipelineRecord,
  ProcessRecord,
  Runtime,
  ScheduleRecord,
  StateName,
  StatePatch,
  StateRecord,
} from '@culm/engine'
import { type Kysely, type RawBuilder, sql } from 'kysely'
import { StoreError } from '../errors.js'
import type { NodeWithData } from '../kysely-runtime.js'
import type { StoreDatabase } from '../schema.js'
import type { NodeDetails } from './node-details.js'
import { statePatch } from './rows.js'

/**
 * What a transaction runtime reads from and writes through to: the `KyselyRuntime` of the open
 * transaction. Kept as an interface so this module does not import the class.
 */
export interface TransactionBase extends Runtime {
  readonly db: Kysely<StoreDatabase>
  getNodesWithData(ids: string[]): Promise<Map<string, NodeWithData>>
  lockProcess(id: string): Promise<ProcessRecord | undefined>
  /** Reads processes and, inside a MySQL transaction, holds their rows until the commit. */
  lockProcesses(ids: string[]): Promise<ProcessRecord[]>
  /** Reads states and, inside a MySQL transaction, holds their rows until the commit. */
  lockStates(nodeIds: string[]): Promise<StateRecord[]>
  insertStates(states: StateRecord[]): Promise<void>
  setExecutionDataBatch(entries: Array<[string, ExecutionDataRecord]>): Promise<void>
  createSchedules(schedules: ScheduleRecord[]): Promise<void>
  addHistories(histories: Array<Omit<HistoryRecord, 'id'>>): Promise<void>
}

type ProcessPatch = Partial<Omit<ProcessRecord, 'id'>>
type SchedulePatch = Partial<Omit<ScheduleRecord, 'id'>>

/** A state changed in this transaction: the version the database holds, and the change. */
interface PendingStateUpdate {
  baseVersion: string
  baseName: string
  patch: StatePatch
}

const STATE_UPDATE_BATCH = 100
/** At most this many nodes after the one a step needs are read in the same query. */
const PREFETCH_NODES = 32

function assignDefined<T extends object>(target: T, patch: Partial<T>): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value
  }
}

/** What `map` holds for `id` (null: known to be missing), read through `load` the first time. */
async function readThrough<T>(
  map: Map<string, T | null>,
  id: string,
  load: () => Promise<T | undefined>,
): Promise<T | null> {
  let value = map.get(id)
  if (value === undefined) {
    value = (await load()) ?? null
    map.set(id, value)
  }
  return value
}

/** Adds a patch to the one buffered for `id`, keeping only defined fields. */
function mergePatch<T extends object>(patches: Map<string, T>, id: string, patch: T): void {
  let pending = patches.get(id)
  if (!pending) {
    pending = {} as T
    patches.set(id, pending)
  }
  assignDefined(pending, patch)
}

/** Whether two reads of a process row hold the same values. */
function sameProcess(a: ProcessRecord, b: ProcessRecord): boolean {
  return (
    a.currentNodeId === b.currentNodeId &&
    a.asleep === b.asleep &&
    a.suspended === b.suspended &&
    a.suspendedBy === b.suspendedBy &&
    a.dead === b.dead &&
    a.ackNum === b.ackNum &&
    a.needAck === b.needAck &&
    a.destinationId === b.destinationId &&
    a.parentId === b.parentId &&
    a.pipelineStack.length === b.pipelineStack.length &&
    a.pipelineStack.every((id, i) => id === b.pipelineStack[i])
  )
}

const copyState = (state: StateRecord): StateRecord => ({ ...state })
const copyProcess = (process: ProcessRecord): ProcessRecord => ({
  ...process,
  pipelineStack: [...process.pipelineStack],
})

/**
 * The runtime one transaction of `KyselyRuntime` hands to the engine. It keeps what the
 * transaction has read and buffers what it writes, so that a group of engine steps reads each
 * record once and sends its writes as a few batched statements when it commits.
 *
 * It opens no database transaction while it only reads and decides: its reads go to the
 * database outside any transaction, and a component called meanwhile holds no connection and no
 * row. The database transaction is opened at the commit, where everything the group decided on is
 * checked (compare-and-set) and its writes go out, or earlier, when an operation needs the
 * database's own answer under the transaction (a search, an acknowledgement, a history read):
 * from then on it holds what it reads, as a classic transaction does (`holdsTransaction`).
 *
 * A node is read with its state and data in one query. The first node a transaction reads comes
 * alone; each later read also brings the nodes that follow (as far as the definitions known to
 * the runtime tell), twice as many each time up to `PREFETCH_NODES`: a chain of steps reads its
 * nodes in a few queries, while a step that waits after one node reads no more than it needs.
 *
 * What stays exact:
 * - a process read by the transaction is compared, at the commit and under a row lock, with what
 *   was read; a change by anyone else fails the commit with `StoreError` `CONFLICT` (an
 *   interruption: the engine runs the step again from the last commit, with the component answers
 *   it holds). The states its nodes get are inserted at the commit (a duplicate fails it with
 *   `CONFLICT`); without a process read, the state is created in the transaction at once, and its
 *   unique key keeps two workers from running the same node;
 * - a state update is checked against the cached version at once and written at commit as a
 *   compare-and-set on the version the database held; a guard (an update with an empty patch) is
 *   checked at the commit under a row lock;
 * - a schedule's lock is taken by a conditional update of its own (so that no transaction is open
 *   while the schedule's component runs) and given back if the transaction does not commit;
 * - a callback is consumed at the commit, as a compare-and-set;
 * - every read the cache cannot answer exactly (searches, acknowledgements, histories) opens the
 *   transaction and first writes out what is buffered.
 */
export class TransactionRuntime implements Runtime {
  #base: TransactionBase
  #details: NodeDetails

  #pipelines = new Map<string, PipelineRecord | null>()
  #nodes = new Map<string, NodeRecord | null>()
  #processes = new Map<string, ProcessRecord | null>()
  #states = new Map<string, StateRecord | null>()
  #data = new Map<string, DataRecord | null>()
  #executionData = new Map<string, ExecutionDataRecord | null>()
  #contexts = new Map<string, Record<string, ContextValue>>()
  #schedules = new Map<string, ScheduleRecord | null>()
  /** The node read under way, if any. */
  #nodeRead: Promise<void> | undefined
  /** How many following nodes the next node read brings along. */
  #readAhead = 0

  #newPipelines = new Map<string, PipelineRecord>()
  #newNodes = new Map<string, NodeRecord>()
  #newProcesses = new Set<string>()
  /** Processes whose rows this transaction holds (read them, or created them). */
  #lockedProcesses = new Set<string>()
  #newStates = new Set<string>()
  #processPatches = new Map<string, ProcessPatch>()
  #stateUpdates = new Map<string, PendingStateUpdate>()
  #dataWrites = new Set<string>()
  #executionDataWrites = new Set<string>()
  #contextWrites = new Map<string, Map<string, ContextValue>>()
  #newSchedules = new Set<string>()
  #schedulePatches = new Map<string, SchedulePatch>()
  #histories: Array<Omit<HistoryRecord, 'id'>> = []

  /** Opens the database transaction; undefined once it is open. */
  #begin: (() => Promise<TransactionBase>) | undefined
  /** Processes as the database held them when read, compared at the commit. */
  #processReads = new Map<string, ProcessRecord>()
  /** States a decision was taken on (guards), compared at the commit. */
  #guards = new Map<string, { version: string; name: StateName | undefined }>()
  /** Callbacks consumed by this transaction, marked at the commit. */
  #consumed = new Set<string>()
  /** Schedule locks taken outside the transaction: given back if it does not commit. */
  #scheduleLocks = new Set<string>()

  /**
   * `reads`: the runtime that reads outside any transaction; `begin` opens the database
   * transaction and answers the runtime inside it.
   */
  constructor(reads: TransactionBase, details: NodeDetails, begin: () => Promise<TransactionBase>) {
    this.#base = reads
    this.#details = details
    this.#begin = begin
  }

  /** Whether a database transaction is open (what it read and wrote is held). */
  holdsTransaction(): boolean {
    return this.#begin === undefined
  }

  /**
   * Opens the database transaction if it is not open: checks what the transaction decided on so
   * far, and writes out what it buffered.
   */
  async #openTransaction(): Promise<void> {
    const begin = this.#begin
    if (!begin) return
    this.#begin = undefined
    this.#base = await begin()
    await this.#check()
    await this.flush()
  }

  /** Fails with `CONFLICT` when a process or guarded state read changed meanwhile. */
  async #check(): Promise<void> {
    if (this.#processReads.size > 0) {
      const reads = this.#processReads
      this.#processReads = new Map()
      const held = new Map(
        (await this.#base.lockProcesses([...reads.keys()])).map((p) => [p.id, p]),
      )
      for (const [id, read] of reads) {
        const now = held.get(id)
        if (!now || !sameProcess(now, read)) {
          throw new StoreError('CONFLICT', `process(${id}) was changed by another step meanwhile`)
        }
      }
    }
    if (this.#guards.size > 0) {
      const guards = [...this.#guards]
      this.#guards.clear()
      const held = new Map(
        (await this.#base.lockStates(guards.map(([id]) => id))).map((s) => [s.nodeId, s]),
      )
      for (const [id, guard] of guards) {
        const now = held.get(id)
        if (!now || now.version !== guard.version || (guard.name && now.name !== guard.name)) {
          throw new StoreError('CONFLICT', `node(${id}) was changed by another step meanwhile`)
        }
      }
    }
  }

  /** Whether the transaction has anything to write or check at its commit. */
  #hasWork(): boolean {
    return (
      this.#newPipelines.size > 0 ||
      this.#newNodes.size > 0 ||
      this.#newProcesses.size > 0 ||
      this.#processPatches.size > 0 ||
      this.#newStates.size > 0 ||
      this.#stateUpdates.size > 0 ||
      this.#dataWrites.size > 0 ||
      this.#executionDataWrites.size > 0 ||
      this.#contextWrites.size > 0 ||
      this.#newSchedules.size > 0 ||
      this.#schedulePatches.size > 0 ||
      this.#histories.length > 0 ||
      this.#consumed.size > 0 ||
      this.#guards.size > 0
    )
  }

  /**
   * Makes the transaction ready to commit: opens it if there is anything to write, checks what
   * it decided on and writes everything out. Answers whether a database transaction is open (the
   * caller commits it).
   */
  async prepareCommit(): Promise<boolean> {
    if (this.#begin && !this.#hasWork()) return false
    await this.#openTransaction()
    await this.flush()
    return true
  }

  /** The transaction will not commit: gives back the schedule locks it took outside of it. */
  async abandon(release: (scheduleId: string) => Promise<void>): Promise<void> {
    for (const id of this.#scheduleLocks) await release(id).catch(() => {})
    this.#scheduleLocks.clear()
  }

  /** Opens the transaction (if it is not) and writes out what is buffered. */
  async #exact(): Promise<void> {
    await this.#openTransaction()
    await this.flush()
  }

  transaction<T>(fn: (tx: Runtime) => Promise<T>): Promise<T> {
    return fn(this)
  }

  isInterruption(error: unknown): boolean {
    return this.#base.isInterruption?.(error) === true
  }

  // ---- pipelines ----

  async createPipeline(pipeline: PipelineRecord): Promise<void> {
    this.#pipelines.set(pipeline.id, pipeline)
    this.#newPipelines.set(pipeline.id, pipeline)
  }

  async getPipeline(id: string): Promise<PipelineRecord | undefined> {
    return (await readThrough(this.#pipelines, id, () => this.#base.getPipeline(id))) ?? undefined
  }

  // ---- processes ----

  async createProcesses(processes: ProcessRecord[]): Promise<void> {
    for (const process of processes) {
      this.#processes.set(process.id, copyProcess(process))
      this.#processPatches.delete(process.id)
      this.#newProcesses.add(process.id)
      this.#lockedProcesses.add(process.id)
    }
  }

  async getProcess(id: string): Promise<ProcessRecord | undefined> {
    let process = this.#processes.get(id)
    if (process === undefined) {
      process = (await this.#base.lockProcess(id)) ?? null
      if (process) {
        this.#lockedProcesses.add(id)
        // Read outside the transaction: compared at the commit (inside, the read holds the row).
        if (this.#begin) this.#processReads.set(id, copyProcess(process))
      }
      // A patch buffered before the first read belongs on top of what the database holds.
      const pending = this.#processPatches.get(id)
      if (process && pending) assignDefined(process, pending)
      this.#processes.set(id, process)
    }
    return process ? copyProcess(process) : undefined
  }

  async updateProcess(id: string, patch: ProcessPatch): Promise<void> {
    const process = this.#processes.get(id)
    if (process) assignDefined(process, patch)
    if (this.#newProcesses.has(id)) return
    mergePatch(this.#processPatches, id, patch)
  }

  async findProcesses(where: Partial<Omit<ProcessRecord, 'pipelineStack'>>) {
    await this.#exact()
    return this.#base.findProcesses(where)
  }

  async addAck(id: string): Promise<number> {
    // The increment holds the parent's row until the commit, and every branch of a fork ends
    // with one: the buffered writes go out first, so that the row is held for as short a time
    // as possible (the rest of the step is a read of the parent and the commit).
    await this.#exact()
    const acks = await this.#base.addAck(id)
    const process = this.#processes.get(id)
    if (process) process.ackNum = acks
    return acks
  }

  // ---- states ----

  async getState(nodeId: string): Promise<StateRecord | undefined> {
    const state = await this.#cachedState(nodeId)
    return state ? copyState(state) : undefined
  }

  async getStates(nodeIds: string[]): Promise<StateRecord[]> {
    const missing = nodeIds.filter((id) => !this.#states.has(id))
    if (missing.length > 0) {
      const found = await this.#base.getStates(missing)
      for (const id of missing) this.#states.set(id, null)
      for (const state of found) this.#states.set(state.nodeId, state)
    }
    const states: StateRecord[] = []
    for (const id of nodeIds) {
      const state = this.#states.get(id)
      if (state) states.push(copyState(state))
    }
    return states
  }

  async getStatesByRoot(rootId: string): Promise<StateRecord[]> {
    await this.#exact()
    return this.#base.getStatesByRoot(rootId)
  }

  async getStatesByParent(parentId: string): Promise<StateRecord[]> {
    if (!this.#begin) {
      await this.flush()
      return this.#base.getStatesByParent(parentId)
    }
    // Read outside the transaction, as this transaction sees them: its own changes on top.
    const found = await this.#base.getStatesByParent(parentId)
    const seen = new Set<string>()
    const states: StateRecord[] = []
    for (const read of found) {
      seen.add(read.nodeId)
      if (!this.#states.has(read.nodeId)) this.#states.set(read.nodeId, copyState(read))
      const state = this.#states.get(read.nodeId)
      if (state && state.parentId === parentId) states.push(copyState(state))
    }
    for (const id of this.#newStates) {
      const state = this.#states.get(id)
      if (state && !seen.has(id) && state.parentId === parentId && id !== parentId)
        states.push(copyState(state))
    }
    return states
  }

  async createState(state: StateRecord): Promise<boolean> {
    const known = this.#states.get(state.nodeId)
    if (known) return false
    if (known === null && this.#lockedProcesses.size > 0) {
      // Only the process that runs a node creates its state, and this transaction holds that
      // process: the insert can wait for the commit.
      this.#states.set(state.nodeId, copyState(state))
      this.#newStates.add(state.nodeId)
      return true
    }
    await this.#exact()
    const created = await this.#base.createState(state)
    if (created) this.#states.set(state.nodeId, copyState(state))
    else this.#states.delete(state.nodeId)
    return created
  }

  async updateState(
    nodeId: string,
    expectedVersion: string,
    patch: StatePatch,
    expectedName?: StateName,
  ): Promise<boolean> {
    const state = await this.#cachedState(nodeId)
    if (!state || state.version !== expectedVersion) return false
    if (expectedName !== undefined && state.name !== expectedName) return false
    const copy: StatePatch = {}
    assignDefined(copy, patch)
    if (this.#newStates.has(nodeId)) {
      // Not written yet, so nobody else sees it: the insert will carry the change.
      assignDefined(state, copy)
      return true
    }
    const pending = this.#stateUpdates.get(nodeId)
    if (Object.keys(copy).length === 0 && !pending) {
      if (this.#begin) {
        // A guard: checked under a row lock at the commit.
        this.#guards.set(nodeId, { version: expectedVersion, name: expectedName })
        return true
      }
      // A guard: check the database itself and hold the row there until the commit.
      const held = await this.#base.updateState(nodeId, expectedVersion, {}, expectedName)
      if (!held) this.#states.delete(nodeId)
      return held
    }
    if (pending) assignDefined(pending.patch, copy)
    else
      this.#stateUpdates.set(nodeId, {
        baseVersion: state.version,
        baseName: state.name,
        patch: copy,
      })
    assignDefined(state, copy)
    return true
  }

  async #cachedState(nodeId: string): Promise<StateRecord | null> {
    if (!this.#states.has(nodeId) && this.#details.has(nodeId)) await this.#readNodes(nodeId)
    return readThrough(this.#states, nodeId, () => this.#base.getState(nodeId))
  }

  // ---- nodes ----

  async createNodes(nodes: NodeRecord[]): Promise<void> {
    for (const node of nodes) {
      this.#nodes.set(node.id, node)
      this.#newNodes.set(node.id, node)
    }
  }

  async getNode(id: string): Promise<NodeRecord | undefined> {
    if (!this.#nodes.has(id)) await this.#readNodes(id)
    return this.#nodes.get(id) ?? undefined
  }

  /**
   * Reads a node's definition, state and data, and those of the nodes that follow it, in one
   * query. What this transaction already holds (read or written) is kept.
   */
  async #readNodes(id: string): Promise<void> {
    // Reads made at once (a step may ask for a node and its state together) share one query.
    while (this.#nodeRead) await this.#nodeRead
    if (this.#nodes.has(id)) return
    this.#nodeRead = this.#queryNodes(id)
    try {
      await this.#nodeRead
    } finally {
      this.#nodeRead = undefined
    }
  }

  async #queryNodes(id: string): Promise<void> {
    const known = (nodeId: string) => this.#states.has(nodeId) && this.#data.has(nodeId)
    const ahead = this.#readAhead
    this.#readAhead = Math.min(PREFETCH_NODES, Math.max(1, ahead * 2))
    const ids = ahead > 0 ? [id, ...this.#details.following(id, ahead, known)] : [id]
    const found = await this.#base.getNodesWithData(ids)
    for (const [nodeId, { node, state, data }] of found) {
      this.#details.remember(node)
      if (!this.#nodes.has(nodeId)) this.#nodes.set(nodeId, node)
      if (!this.#states.has(nodeId)) this.#states.set(nodeId, state ?? null)
      if (!this.#data.has(nodeId)) this.#data.set(nodeId, data ?? null)
    }
    if (!this.#nodes.has(id)) this.#nodes.set(id, null)
  }

  async findNodeIds(ids: string[]): Promise<string[]> {
    const unknown = ids.filter((id) => !this.#nodes.has(id))
    const stored = new Set(unknown.length > 0 ? await this.#base.findNodeIds(unknown) : [])
    return ids.filter((id) => stored.has(id) || this.#nodes.get(id))
  }

  // ---- data ----

  async setData(nodeId: string, data: DataRecord): Promise<void> {
    this.#data.set(nodeId, data)
    this.#dataWrites.add(nodeId)
  }

  async setDataBatch(entries: Array<[string, DataRecord]>): Promise<void> {
    for (const [nodeId, data] of entries) await this.setData(nodeId, data)
  }

  async getData(nodeId: string): Promise<DataRecord | undefined> {
    if (!this.#data.has(nodeId) && this.#details.has(nodeId)) await this.#readNodes(nodeId)
    return (await readThrough(this.#data, nodeId, () => this.#base.getData(nodeId))) ?? undefined
  }

  async setExecutionData(nodeId: string, data: ExecutionDataRecord): Promise<void> {
    this.#executionData.set(nodeId, data)
    this.#executionDataWrites.add(nodeId)
  }

  async getExecutionData(nodeId: string): Promise<ExecutionDataRecord | undefined> {
    const load = () => this.#base.getExecutionData(nodeId)
    return (await readThrough(this.#executionData, nodeId, load)) ?? undefined
  }

  // ---- context ----

  async getContext(pipelineId: string): Promise<Record<string, ContextValue>> {
    let context = this.#contexts.get(pipelineId)
    if (context === undefined) {
      context = await this.#base.getContext(pipelineId)
      for (const [key, value] of this.#contextWrites.get(pipelineId) ?? []) context[key] = value
      this.#contexts.set(pipelineId, context)
    }
    return { ...context }
  }

  async upsertContext(pipelineId: string, values: Record<string, ContextValue>): Promise<void> {
    let writes = this.#contextWrites.get(pipelineId)
    if (!writes) {
      writes = new Map()
      this.#contextWrites.set(pipelineId, writes)
    }
    const context = this.#contexts.get(pipelineId)
    for (const [key, value] of Object.entries(values)) {
      writes.set(key, value)
      if (context) context[key] = value
    }
  }

  // ---- schedules and callbacks ----

  async createSchedule(schedule: ScheduleRecord): Promise<void> {
    this.#schedules.set(schedule.id, { ...schedule })
    this.#schedulePatches.delete(schedule.id)
    this.#newSchedules.add(schedule.id)
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    let schedule = this.#schedules.get(id)
    if (schedule === undefined) {
      schedule = (await this.#base.getSchedule(id)) ?? null
      const pending = this.#schedulePatches.get(id)
      if (schedule && pending) assignDefined(schedule, pending)
      this.#schedules.set(id, schedule)
    }
    return schedule ? { ...schedule } : undefined
  }

  async findSchedule(nodeId: string, version: string, type?: ScheduleRecord['type']) {
    await this.#exact()
    return this.#base.findSchedule(nodeId, version, type)
  }

  async updateSchedule(id: string, patch: SchedulePatch): Promise<void> {
    const schedule = this.#schedules.get(id)
    if (schedule) assignDefined(schedule, patch)
    if (this.#newSchedules.has(id)) return
    mergePatch(this.#schedulePatches, id, patch)
  }

  async lockSchedule(id: string): Promise<boolean> {
    if (this.#newSchedules.has(id)) {
      // Nobody else can see a schedule this transaction created: the lock is ours.
      const schedule = this.#schedules.get(id)!
      if (schedule.scheduling) return false
      schedule.scheduling = true
      return true
    }
    if (!this.#begin) await this.flush()
    const locked = await this.#base.lockSchedule(id)
    // Taken outside the transaction: given back if the transaction does not commit.
    if (locked && this.#begin) this.#scheduleLocks.add(id)
    // Read it again either way: held now, its row is as the last step that held it left it (a
    // copy read before the lock may miss the calls that step counted).
    this.#schedules.delete(id)
    return locked
  }

  async findPendingSchedules(): Promise<ScheduleRecord[]> {
    await this.#exact()
    return this.#base.findPendingSchedules()
  }

  async addCallback(callback: CallbackRecord): Promise<boolean> {
    await this.#exact()
    return this.#base.addCallback(callback)
  }

  async nextCallback(scheduleId: string): Promise<CallbackRecord | undefined> {
    if (this.#consumed.size > 0) await this.#exact()
    return this.#base.nextCallback(scheduleId)
  }

  async consumeCallback(id: string): Promise<boolean> {
    if (!this.#begin) return this.#base.consumeCallback(id)
    if (this.#consumed.has(id)) return false
    // Marked at the commit, where a callback consumed by someone else meanwhile fails it.
    this.#consumed.add(id)
    return true
  }

  // ---- histories ----

  async addHistory(history: Omit<HistoryRecord, 'id'>): Promise<void> {
    this.#histories.push(history)
  }

  async getHistories(nodeId: string): Promise<HistoryRecord[]> {
    await this.#exact()
    return this.#base.getHistories(nodeId)
  }

  // ---- writing out ----

  /**
   * Writes everything buffered, in a few batched statements; what the cache holds stays valid
   * (it is now what the database holds).
   */
  async flush(): Promise<void> {
    // Outside the database transaction nothing is written: it all goes at the commit.
    if (this.#begin) return
    const base = this.#base
    if (this.#consumed.size > 0) {
      const ids = [...this.#consumed]
      this.#consumed.clear()
      for (const id of ids) {
        if (!(await base.consumeCallback(id)))
          throw new StoreError('CONFLICT', `callback(${id}) was consumed by another step meanwhile`)
      }
    }
    if (this.#newPipelines.size > 0) {
      const pipelines = [...this.#newPipelines.values()]
      this.#newPipelines.clear()
      for (const pipeline of pipelines) await base.createPipeline(pipeline)
    }
    if (this.#newNodes.size > 0) {
      const nodes = [...this.#newNodes.values()]
      this.#newNodes.clear()
      await base.createNodes(nodes)
      for (const node of nodes) this.#details.remember(node)
    }
    if (this.#newProcesses.size > 0) {
      const processes = [...this.#newProcesses].map((id) => this.#processes.get(id)!)
      this.#newProcesses.clear()
      await base.createProcesses(processes)
    }
    if (this.#processPatches.size > 0) {
      const patches = [...this.#processPatches]
      this.#processPatches.clear()
      for (const [id, patch] of patches) await base.updateProcess(id, patch)
    }
    if (this.#newStates.size > 0) {
      const states = [...this.#newStates].map((id) => this.#states.get(id)!)
      this.#newStates.clear()
      await base.insertStates(states)
    }
    if (this.#stateUpdates.size > 0) {
      const updates = [...this.#stateUpdates]
      this.#stateUpdates.clear()
      for (let i = 0; i < updates.length; i += STATE_UPDATE_BATCH)
        await this.#writeStateUpdates(updates.slice(i, i + STATE_UPDATE_BATCH))
    }
    if (this.#dataWrites.size > 0) {
      const entries = [...this.#dataWrites].map((id): [string, DataRecord] => [
        id,
        this.#data.get(id)!,
      ])
      this.#dataWrites.clear()
      await base.setDataBatch(entries)
    }
    if (this.#executionDataWrites.size > 0) {
      const entries = [...this.#executionDataWrites].map((id): [string, ExecutionDataRecord] => [
        id,
        this.#executionData.get(id)!,
      ])
      this.#executionDataWrites.clear()
      await base.setExecutionDataBatch(entries)
    }
    if (this.#contextWrites.size > 0) {
      const writes = [...this.#contextWrites]
      this.#contextWrites.clear()
      for (const [pipelineId, values] of writes)
        await base.upsertContext(pipelineId, Object.fromEntries(values))
    }
    if (this.#newSchedules.size > 0) {
      // A poll that was created and finished in this transaction has nothing left to tell: the
      // node's state and execution data hold its outcome, and nobody else ever saw it.
      const schedules = [...this.#newSchedules]
        .map((id) => this.#schedules.get(id)!)
        .filter((schedule) => !(schedule.type === 'poll' && schedule.finished))
      this.#newSchedules.clear()
      if (schedules.length > 0) await base.createSchedules(schedules)
    }
    if (this.#schedulePatches.size > 0) {
      const patches = [...this.#schedulePatches]
      this.#schedulePatches.clear()
      for (const [id, patch] of patches) await base.updateSchedule(id, patch)
    }
    if (this.#histories.length > 0) {
      const histories = this.#histories
      this.#histories = []
      await base.addHistories(histories)
    }
  }

  /**
   * One UPDATE for many states: each row gets its own values (CASE on the node id) and is
   * matched on the version the database held when this transaction read it.
   */
  async #writeStateUpdates(updates: Array<[string, PendingStateUpdate]>): Promise<void> {
    const columns = new Map<string, Array<[string, unknown]>>()
    for (const [nodeId, { patch }] of updates) {
      for (const [column, value] of Object.entries(statePatch(patch))) {
        let values = columns.get(column)
        if (!values) {
          values = []
          columns.set(column, values)
        }
        values.push([nodeId, value])
      }
    }
    const assignments: RawBuilder<unknown>[] = []
    for (const [column, values] of columns) {
      const cases = values.map(([nodeId, value]) => sql`when ${nodeId} then ${value}`)
      assignments.push(
        sql`${sql.ref(column)} = case ${sql.ref('node_id')} ${sql.join(cases, sql` `)} else ${sql.ref(column)} end`,
      )
    }
    const matches = updates.map(
      ([nodeId, { baseVersion, baseName }]) =>
        sql`(${sql.ref('node_id')} = ${nodeId} and ${sql.ref('version')} = ${baseVersion} and ${sql.ref('name')} = ${baseName})`,
    )
    const result =
      await sql`update ${sql.table('culm_states')} set ${sql.join(assignments)} where ${sql.join(matches, sql` or `)}`.execute(
        this.#base.db,
      )
    const updated = Number(result.numAffectedRows ?? 0)
    if (updated !== updates.length) {
      throw new StoreError(
        'CONFLICT',
        `${updates.length - updated} of ${updates.length} node states were changed by another transaction meanwhile`,
      )
    }
  }
}
