import { setTimeout as sleep } from 'node:timers/promises'
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
import {
  type ControlledTransaction,
  type IsolationLevel,
  type Kysely,
  MysqlAdapter,
  type Selectable,
  sql,
} from 'kysely'
import { StoreError } from './errors.js'
import { NodeDetails } from './internal/node-details.js'
import {
  callbackRow,
  columnValue,
  fromJson,
  historyRow,
  PROCESS_COLUMNS,
  pipelineRow,
  processPatch,
  processRow,
  schedulePatch,
  scheduleRow,
  statePatch,
  stateRow,
  toCallback,
  toHistory,
  toJson,
  toPipeline,
  toProcess,
  toSchedule,
  toState,
} from './internal/rows.js'
import { TransactionRuntime } from './internal/transaction-runtime.js'
import type { SqlFlavor } from './migrations.js'
import type { StatesTable, StoreDatabase } from './schema.js'

/** A node's definition with its configured data and its state (`getNodeWithData`). */
export interface NodeWithData {
  node: NodeRecord
  data: DataRecord | undefined
  state: StateRecord | undefined
}

/** Options of a `KyselyRuntime`. */
export interface KyselyRuntimeOptions {
  /** The SQL spoken by `db`; found from its adapter when not given. */
  flavor?: SqlFlavor
  /** How often a step's transaction is tried when it hits a deadlock or a lock wait (5). */
  maxAttempts?: number
  /** An isolation level set on each transaction; by default the connection's own. */
  isolationLevel?: IsolationLevel
  /** Told of each retry (an operational warning: the step is run again). */
  onRetry?: (error: unknown, attempt: number) => void
}

// MySQL/MariaDB: ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT. SQLite: another process holds the file.
const RETRYABLE_ERRNOS = new Set([1213, 1205])
const RETRYABLE_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY'])
// Connections lost or refused mid-step: the transaction is gone, the step can run again.
const INTERRUPTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ER_SERVER_SHUTDOWN',
  'INTERRUPTED',
])
const ER_DUP_ENTRY = 1062
const BATCH = 200

function isRetryable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const { errno, code } = e as { errno?: unknown; code?: unknown }
    if (typeof errno === 'number' && RETRYABLE_ERRNOS.has(errno)) return true
    if (typeof code === 'string' && (RETRYABLE_CODES.has(code) || code.startsWith('SQLITE_BUSY')))
      return true
  }
  return false
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * The engine's Runtime on a SQL database through Kysely: MySQL/MariaDB (mysql2) or SQLite
 * (better-sqlite3). Every state write is a compare-and-set on the node's version, `addAck` counts
 * in SQL and `lockSchedule` is a conditional update, so concurrent workers and retried steps
 * never double a change. `transaction` runs one engine step in one database transaction and
 * retries it on a deadlock or a lock-wait timeout. `openRuntime` runs MySQL sessions READ
 * COMMITTED; with a Kysely of your own, do the same in `onCreateConnection` or pass
 * `isolationLevel` (which costs a statement per transaction).
 * @example
 * const dialect = new SqliteDialect({ database: new Database(':memory:') })
 * const db = new Kysely<StoreDatabase>({ dialect })
 * await migrateToLatest(db, 'sqlite')
 * const engine = createEngine({ runtime: new KyselyRuntime(db) })
 */
export class KyselyRuntime implements Runtime {
  readonly flavor: SqlFlavor
  #db: Kysely<StoreDatabase>
  #options: KyselyRuntimeOptions
  /** Node definitions its transactions have read or written (they never change). */
  #details = new NodeDetails()

  constructor(db: Kysely<StoreDatabase>, options: KyselyRuntimeOptions = {}) {
    this.#db = db
    this.flavor =
      options.flavor ?? (db.getExecutor().adapter instanceof MysqlAdapter ? 'mysql' : 'sqlite')
    this.#options = { ...options, flavor: this.flavor }
  }

  /** The Kysely instance (or transaction) this runtime queries. */
  get db(): Kysely<StoreDatabase> {
    return this.#db
  }

  /**
   * Runs one engine step (or group of steps): its reads go to the database outside any
   * transaction and its writes are buffered; the database transaction is opened to check what the
   * step decided on and to write, then committed (see `TransactionRuntime`). A deadlock or a lock
   * wait runs the step again, a few times.
   */
  async transaction<T>(fn: (tx: Runtime) => Promise<T>): Promise<T> {
    if (this.#db.isTransaction) return fn(this)
    const maxAttempts = Math.max(1, this.#options.maxAttempts ?? 5)
    for (let attempt = 1; ; attempt++) {
      let trx: ControlledTransaction<StoreDatabase> | undefined
      const begin = async () => {
        let builder = this.#db.startTransaction()
        if (this.#options.isolationLevel)
          builder = builder.setIsolationLevel(this.#options.isolationLevel)
        trx = await builder.execute()
        return new KyselyRuntime(trx, this.#options)
      }
      const tx = new TransactionRuntime(this, this.#details, begin)
      try {
        const result = await fn(tx)
        if (await tx.prepareCommit()) await trx!.commit().execute()
        return result
      } catch (error) {
        if (trx && !trx.isCommitted)
          await trx
            .rollback()
            .execute()
            .catch(() => {})
        await tx.abandon((id) => this.updateSchedule(id, { scheduling: false }))
        if (!isRetryable(error)) throw error
        if (attempt >= maxAttempts) {
          throw new StoreError(
            'CONFLICT',
            `a transaction hit a deadlock or a lock wait ${attempt} times and was given up`,
            { cause: error },
          )
        }
        this.#options.onRetry?.(error, attempt)
        // Jitter, so that two steps that deadlocked do not collide again at once.
        await sleep(Math.floor(Math.random() * 5 * attempt) + 1)
      }
    }
  }

  /**
   * Storage errors after which a rolled-back step may simply run again: a deadlock or lock wait
   * this runtime gave up on, a lost or refused connection, a busy database.
   */
  isInterruption(error: unknown): boolean {
    if (error instanceof StoreError && error.code === 'CONFLICT') return true
    for (let e = error; e instanceof Error; e = e.cause) {
      const { code } = e as { code?: unknown }
      if (typeof code === 'string' && INTERRUPTION_CODES.has(code)) return true
    }
    return isRetryable(error)
  }

  // ---- pipelines ----

  async createPipeline(pipeline: PipelineRecord): Promise<void> {
    await this.#upsert('culm_pipelines', [pipelineRow(pipeline)], ['id'])
  }

  async getPipeline(id: string): Promise<PipelineRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_pipelines')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toPipeline(row)
  }

  // ---- processes ----

  async createProcesses(processes: ProcessRecord[]): Promise<void> {
    await this.#upsert('culm_processes', processes.map(processRow), ['id'])
  }

  async getProcess(id: string): Promise<ProcessRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_processes')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toProcess(row)
  }

  /**
   * Reads a process and, inside a MySQL transaction, holds its row until the commit: a process is
   * one thread of execution, and two workers handed the same one take turns.
   */
  async lockProcess(id: string): Promise<ProcessRecord | undefined> {
    let query = this.#db.selectFrom('culm_processes').selectAll().where('id', '=', id)
    if (this.flavor === 'mysql' && this.#db.isTransaction) query = query.forUpdate()
    const row = await query.executeTakeFirst()
    return row && toProcess(row)
  }

  async lockProcesses(ids: string[]): Promise<ProcessRecord[]> {
    const found: ProcessRecord[] = []
    for (const batch of chunks(ids, BATCH)) {
      let query = this.#db.selectFrom('culm_processes').selectAll().where('id', 'in', batch)
      if (this.flavor === 'mysql' && this.#db.isTransaction) query = query.forUpdate()
      for (const row of await query.execute()) found.push(toProcess(row))
    }
    return found
  }

  async updateProcess(id: string, patch: Partial<Omit<ProcessRecord, 'id'>>): Promise<void> {
    const set = processPatch(patch)
    if (Object.keys(set).length === 0) return
    await this.#db.updateTable('culm_processes').set(set).where('id', '=', id).execute()
  }

  async findProcesses(
    where: Partial<Omit<ProcessRecord, 'pipelineStack'>>,
  ): Promise<ProcessRecord[]> {
    let query = this.#db.selectFrom('culm_processes').selectAll()
    for (const [field, value] of Object.entries(where)) {
      const column = PROCESS_COLUMNS[field as keyof typeof PROCESS_COLUMNS]
      // As in the memory runtime (===), an unknown field or an undefined value matches nothing.
      if (column === undefined || column === 'pipeline_stack' || value === undefined) return []
      query =
        value === null
          ? query.where(column, 'is', null)
          : query.where(column, '=', columnValue(value) as string | number)
    }
    if (where.dead !== true) query = query.where('dead', '=', 0)
    const rows = await query.orderBy('seq').execute()
    return rows.map(toProcess)
  }

  async addAck(id: string): Promise<number> {
    if (this.flavor === 'mysql') {
      // LAST_INSERT_ID(expr) hands the new count back with the update: one statement.
      const result =
        await sql`update ${sql.table('culm_processes')} set ${sql.ref('ack_num')} = last_insert_id(${sql.ref('ack_num')} + 1) where ${sql.ref('id')} = ${id}`.execute(
          this.#db,
        )
      return Number(result.numAffectedRows ?? 0) === 1 ? Number(result.insertId ?? 0) : 0
    }
    const row = await this.#db
      .updateTable('culm_processes')
      .set((eb) => ({ ack_num: eb('ack_num', '+', 1) }))
      .where('id', '=', id)
      .returning('ack_num')
      .executeTakeFirst()
    return row ? Number(row.ack_num) : 0
  }

  // ---- states ----

  async getState(nodeId: string): Promise<StateRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_states')
      .selectAll()
      .where('node_id', '=', nodeId)
      .executeTakeFirst()
    return row && toState(row)
  }

  async getStates(nodeIds: string[]): Promise<StateRecord[]> {
    const byId = new Map<string, StateRecord>()
    for (const ids of chunks([...new Set(nodeIds)], BATCH)) {
      const rows = await this.#db
        .selectFrom('culm_states')
        .selectAll()
        .where('node_id', 'in', ids)
        .execute()
      for (const row of rows) byId.set(row.node_id, toState(row))
    }
    const found: StateRecord[] = []
    for (const id of nodeIds) {
      const state = byId.get(id)
      if (state) found.push({ ...state })
    }
    return found
  }

  async lockStates(nodeIds: string[]): Promise<StateRecord[]> {
    const found: StateRecord[] = []
    for (const batch of chunks(nodeIds, BATCH)) {
      let query = this.#db.selectFrom('culm_states').selectAll().where('node_id', 'in', batch)
      if (this.flavor === 'mysql' && this.#db.isTransaction) query = query.forUpdate()
      for (const row of await query.execute()) found.push(toState(row))
    }
    return found
  }

  async getStatesByRoot(rootId: string): Promise<StateRecord[]> {
    const rows = await this.#db
      .selectFrom('culm_states')
      .selectAll()
      .where('root_id', '=', rootId)
      .orderBy('seq')
      .execute()
    return rows.map(toState)
  }

  async getStatesByParent(parentId: string): Promise<StateRecord[]> {
    const rows = await this.#db
      .selectFrom('culm_states')
      .selectAll()
      .where('parent_id', '=', parentId)
      .where('node_id', '!=', parentId)
      .orderBy('seq')
      .execute()
    return rows.map(toState)
  }

  /**
   * Inserts states no other transaction can have created (their process's row is held): a
   * duplicate fails with `StoreError` `CONFLICT`.
   */
  async insertStates(states: StateRecord[]): Promise<void> {
    for (const batch of chunks(states, BATCH)) {
      try {
        await this.#db.insertInto('culm_states').values(batch.map(stateRow)).execute()
      } catch (error) {
        const { errno, code } = error as { errno?: unknown; code?: unknown }
        if (errno !== ER_DUP_ENTRY && code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error
        throw new StoreError(
          'CONFLICT',
          'a node state was created by another transaction meanwhile',
          {
            cause: error,
          },
        )
      }
    }
  }

  async createState(state: StateRecord): Promise<boolean> {
    const insert = this.#db.insertInto('culm_states').values(stateRow(state))
    if (this.flavor === 'sqlite') {
      const result = await insert
        .onConflict((oc) => oc.column('node_id').doNothing())
        .executeTakeFirst()
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1
    }
    try {
      await insert.execute()
      return true
    } catch (error) {
      if ((error as { errno?: unknown }).errno === ER_DUP_ENTRY) return false
      throw error
    }
  }

  async updateState(
    nodeId: string,
    expectedVersion: string,
    patch: StatePatch,
    expectedName?: StateName,
  ): Promise<boolean> {
    const set = statePatch(patch)
    if (Object.keys(set).length === 0) {
      let query = this.#db
        .selectFrom('culm_states')
        .select('node_id')
        .where('node_id', '=', nodeId)
        .where('version', '=', expectedVersion)
      if (expectedName !== undefined) query = query.where('name', '=', expectedName)
      // A guard: other writers of the row wait for this transaction (SQLite has one writer).
      if (this.flavor === 'mysql' && this.#db.isTransaction) query = query.forUpdate()
      return (await query.executeTakeFirst()) !== undefined
    }
    let query = this.#db
      .updateTable('culm_states')
      .set(set)
      .where('node_id', '=', nodeId)
      .where('version', '=', expectedVersion)
    if (expectedName !== undefined) query = query.where('name', '=', expectedName)
    const result = await query.executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  // ---- nodes ----

  async createNodes(nodes: NodeRecord[]): Promise<void> {
    const rows = nodes.map((node) => ({ id: node.id, detail: toJson(node) ?? '{}' }))
    await this.#upsert('culm_nodes', rows, ['id'])
  }

  /**
   * A node's definition with its configured data and its state, in one query: what a step reads
   * before it runs a node. Data and state are left out when the node does not exist.
   */
  async getNodeWithData(id: string): Promise<NodeWithData | undefined> {
    return (await this.getNodesWithData([id])).get(id)
  }

  /** `getNodeWithData` for many nodes in one query; ids of no node are not in the answer. */
  async getNodesWithData(ids: string[]): Promise<Map<string, NodeWithData>> {
    const found = new Map<string, NodeWithData>()
    if (ids.length === 0) return found
    const rows = await this.#db
      .selectFrom('culm_nodes as n')
      .leftJoin('culm_data as d', 'd.node_id', 'n.id')
      .leftJoin('culm_states as s', 's.node_id', 'n.id')
      .select([
        'n.id',
        'n.detail',
        'd.inputs as data_inputs',
        'd.outputs as data_outputs',
        's.node_id',
        's.root_id',
        's.parent_id',
        's.name',
        's.version',
        's.loop',
        's.inner_loop',
        's.retry',
        's.skip',
        's.error_ignored',
        's.created_time',
        's.started_time',
        's.archived_time',
        's.seq',
      ])
      .where('n.id', 'in', ids)
      .execute()
    for (const row of rows) {
      const { id, detail, data_inputs, data_outputs, node_id, ...state } = row
      found.set(id, {
        node: fromJson<NodeRecord>(detail),
        data:
          data_inputs === null || data_outputs === null
            ? undefined
            : { inputs: fromJson(data_inputs), outputs: fromJson(data_outputs) },
        state:
          node_id === null ? undefined : toState({ ...state, node_id } as Selectable<StatesTable>),
      })
    }
    return found
  }

  async findNodeIds(ids: string[]): Promise<string[]> {
    const stored = new Set<string>()
    for (const batch of chunks([...new Set(ids)], BATCH)) {
      const rows = await this.#db
        .selectFrom('culm_nodes')
        .select('id')
        .where('id', 'in', batch)
        .execute()
      for (const row of rows) stored.add(row.id)
    }
    return ids.filter((id) => stored.has(id))
  }

  async getNode(id: string): Promise<NodeRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_nodes')
      .select('detail')
      .where('id', '=', id)
      .executeTakeFirst()
    return row && fromJson<NodeRecord>(row.detail)
  }

  // ---- data ----

  async setData(nodeId: string, data: DataRecord): Promise<void> {
    await this.setDataBatch([[nodeId, data]])
  }

  async setDataBatch(entries: Array<[string, DataRecord]>): Promise<void> {
    const rows = entries.map(([nodeId, data]) => ({
      node_id: nodeId,
      inputs: toJson(data.inputs) ?? '{}',
      outputs: toJson(data.outputs) ?? '{}',
    }))
    await this.#upsert('culm_data', rows, ['node_id'])
  }

  async getData(nodeId: string): Promise<DataRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_data')
      .selectAll()
      .where('node_id', '=', nodeId)
      .executeTakeFirst()
    return row && { inputs: fromJson(row.inputs), outputs: fromJson(row.outputs) }
  }

  async setExecutionData(nodeId: string, data: ExecutionDataRecord): Promise<void> {
    await this.setExecutionDataBatch([[nodeId, data]])
  }

  /** Writes the execution data of several nodes at once. */
  async setExecutionDataBatch(entries: Array<[string, ExecutionDataRecord]>): Promise<void> {
    const rows = entries.map(([nodeId, data]) => ({
      node_id: nodeId,
      inputs: toJson(data.inputs) ?? '{}',
      outputs: toJson(data.outputs) ?? '{}',
    }))
    await this.#upsert('culm_execution_data', rows, ['node_id'])
  }

  async getExecutionData(nodeId: string): Promise<ExecutionDataRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_execution_data')
      .selectAll()
      .where('node_id', '=', nodeId)
      .executeTakeFirst()
    return row && { inputs: fromJson(row.inputs), outputs: fromJson(row.outputs) }
  }

  // ---- context ----

  async getContext(pipelineId: string): Promise<Record<string, ContextValue>> {
    const rows = await this.#db
      .selectFrom('culm_context_values')
      .select(['key', 'type', 'value', 'custom_type'])
      .where('pipeline_id', '=', pipelineId)
      .orderBy('seq')
      .execute()
    const context: Record<string, ContextValue> = {}
    for (const row of rows) {
      const value: ContextValue = {
        type: row.type as ContextValue['type'],
        value: fromJson(row.value),
      }
      if (row.custom_type !== null) value.customType = row.custom_type
      context[row.key] = value
    }
    return context
  }

  async upsertContext(pipelineId: string, values: Record<string, ContextValue>): Promise<void> {
    const rows = Object.entries(values).map(([key, value]) => ({
      pipeline_id: pipelineId,
      key,
      type: value.type,
      value: toJson(value.value),
      custom_type: value.customType ?? null,
    }))
    await this.#upsert('culm_context_values', rows, ['pipeline_id', 'key'])
  }

  // ---- schedules and callbacks ----

  async createSchedule(schedule: ScheduleRecord): Promise<void> {
    await this.createSchedules([schedule])
  }

  /** Creates (or overwrites) several schedules at once. */
  async createSchedules(schedules: ScheduleRecord[]): Promise<void> {
    await this.#upsert('culm_schedules', schedules.map(scheduleRow), ['id'])
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_schedules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toSchedule(row)
  }

  async findSchedule(
    nodeId: string,
    version: string,
    type?: ScheduleRecord['type'],
  ): Promise<ScheduleRecord | undefined> {
    let query = this.#db
      .selectFrom('culm_schedules')
      .selectAll()
      .where('node_id', '=', nodeId)
      .where('version', '=', version)
    query =
      type !== undefined
        ? query.where('type', '=', type)
        : query.where('type', 'not in', ['timeout', 'auto_retry'])
    const row = await query.orderBy('seq').limit(1).executeTakeFirst()
    return row && toSchedule(row)
  }

  async updateSchedule(id: string, patch: Partial<Omit<ScheduleRecord, 'id'>>): Promise<void> {
    const set = schedulePatch(patch)
    if (Object.keys(set).length === 0) return
    await this.#db.updateTable('culm_schedules').set(set).where('id', '=', id).execute()
  }

  async lockSchedule(id: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('culm_schedules')
      .set({ scheduling: 1 })
      .where('id', '=', id)
      .where('scheduling', '=', 0)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) === 1
  }

  async findPendingSchedules(): Promise<ScheduleRecord[]> {
    const rows = await this.#db
      .selectFrom('culm_schedules')
      .selectAll()
      .where('finished', '=', 0)
      .where('expired', '=', 0)
      .orderBy('seq')
      .execute()
    return rows.map(toSchedule)
  }

  async addCallback(callback: CallbackRecord): Promise<boolean> {
    try {
      await this.#db.insertInto('culm_callbacks').values(callbackRow(callback)).execute()
      return true
    } catch (error) {
      const { errno, code } = error as { errno?: unknown; code?: unknown }
      if (errno === ER_DUP_ENTRY || code === 'SQLITE_CONSTRAINT_UNIQUE') return false
      throw error
    }
  }

  async nextCallback(scheduleId: string): Promise<CallbackRecord | undefined> {
    const row = await this.#db
      .selectFrom('culm_callbacks')
      .selectAll()
      .where('schedule_id', '=', scheduleId)
      .where('consumed', '=', 0)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst()
    return row ? toCallback(row) : undefined
  }

  async consumeCallback(id: string): Promise<boolean> {
    // A compare-and-set: a callback is consumed once.
    const taken = await this.#db
      .updateTable('culm_callbacks')
      .set({ consumed: 1 })
      .where('id', '=', id)
      .where('consumed', '=', 0)
      .executeTakeFirst()
    return Number(taken.numUpdatedRows) === 1
  }

  // ---- histories ----

  async addHistory(history: Omit<HistoryRecord, 'id'>): Promise<void> {
    await this.addHistories([history])
  }

  /** Adds several histories at once, in order. */
  async addHistories(histories: Array<Omit<HistoryRecord, 'id'>>): Promise<void> {
    for (const batch of chunks(histories, BATCH))
      await this.#db.insertInto('culm_histories').values(batch.map(historyRow)).execute()
  }

  async getHistories(nodeId: string): Promise<HistoryRecord[]> {
    const rows = await this.#db
      .selectFrom('culm_histories')
      .selectAll()
      .where('node_id', '=', nodeId)
      .orderBy('id')
      .execute()
    return rows.map(toHistory)
  }

  /** Inserts rows, or overwrites every other column of the row with the same key. */
  async #upsert(
    table: keyof StoreDatabase,
    rows: Array<Record<string, unknown>>,
    keys: string[],
  ): Promise<void> {
    const first = rows[0]
    if (!first) return
    // biome-ignore lint/suspicious/noExplicitAny: one upsert for every table
    const db = this.#db as Kysely<any>
    const columns = Object.keys(first).filter((column) => !keys.includes(column))
    for (const batch of chunks(rows, BATCH)) {
      const insert = db.insertInto(table).values(batch)
      if (this.flavor === 'mysql') {
        await insert
          .onDuplicateKeyUpdate(
            Object.fromEntries(columns.map((c) => [c, sql`values(${sql.ref(c)})`])),
          )
          .execute()
      } else {
        await insert
          .onConflict((oc) =>
            oc
              .columns(keys)
              .doUpdateSet(Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]))),
          )
          .execute()
      }
    }
  }
}
