import type { ColumnType, Generated } from 'kysely'

/** Booleans are stored as 0/1 (TINYINT on MySQL, INTEGER on SQLite). */
export type Flag = number
/** JSON documents are stored as text (LONGTEXT on MySQL, TEXT on SQLite). */
export type JsonText = string

export interface PipelinesTable {
  id: string
  tree: JsonText
  root_pipeline_data: JsonText
  created_time: number
}

export interface ProcessesTable {
  /** Insertion order, so that scans answer in the order the memory runtime does. */
  seq: Generated<number>
  id: string
  root_pipeline_id: string
  parent_id: string | null
  destination_id: string | null
  current_node_id: string
  pipeline_stack: JsonText
  asleep: Flag
  suspended: Flag
  suspended_by: string | null
  dead: Flag
  ack_num: number
  need_ack: number
  recovered_at: ColumnType<string | null, string | null | undefined, string | null>
  recoveries: ColumnType<number, number | undefined, number>
}

export interface NodesTable {
  id: string
  detail: JsonText
}

export interface StatesTable {
  seq: Generated<number>
  node_id: string
  root_id: string
  parent_id: string
  name: string
  version: string
  loop: number
  inner_loop: number
  retry: number
  skip: Flag
  error_ignored: Flag
  created_time: number
  started_time: number | null
  archived_time: number | null
}

export interface DataTable {
  node_id: string
  inputs: JsonText
  outputs: JsonText
}

export interface ContextValuesTable {
  seq: Generated<number>
  pipeline_id: string
  key: string
  type: string
  value: JsonText | null
  custom_type: string | null
}

export interface SchedulesTable {
  seq: Generated<number>
  id: string
  type: string
  process_id: string
  node_id: string
  version: string
  finished: Flag
  expired: Flag
  scheduling: Flag
  times: number
  due_at: number | null
}

export interface CallbacksTable {
  seq: Generated<number>
  id: string
  schedule_id: string
  node_id: string
  version: string
  data: JsonText | null
  consumed: Flag
}

export interface HistoriesTable {
  id: Generated<number>
  node_id: string
  loop: number
  retry: number
  skip: Flag
  version: string
  started_time: number | null
  archived_time: number | null
  inputs: JsonText
  outputs: JsonText
}

/** The store's tables, as Kysely sees them. */
export interface StoreDatabase {
  culm_pipelines: PipelinesTable
  culm_processes: ProcessesTable
  culm_nodes: NodesTable
  culm_states: StatesTable
  culm_data: DataTable
  culm_execution_data: DataTable
  culm_context_values: ContextValuesTable
  culm_schedules: SchedulesTable
  culm_callbacks: CallbacksTable
  culm_histories: HistoriesTable
}
