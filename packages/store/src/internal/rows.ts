import type {
  CallbackRecord,
  HistoryRecord,
  PipelineRecord,
  ProcessRecord,
  ScheduleRecord,
  StatePatch,
  StateRecord,
} from '@culm/engine'
import type { Selectable, Updateable } from 'kysely'
import type {
  CallbacksTable,
  HistoriesTable,
  PipelinesTable,
  ProcessesTable,
  SchedulesTable,
  StatesTable,
} from '../schema.js'

/** A value as stored JSON text; `undefined` (which JSON cannot hold) becomes SQL NULL. */
export function toJson(value: unknown): string | null {
  return JSON.stringify(value) ?? null
}

/** Stored JSON text back as a value; SQL NULL becomes `undefined`. */
export function fromJson<T>(text: string | null): T {
  return (text === null ? undefined : JSON.parse(text)) as T
}

const flag = (value: boolean): number => (value ? 1 : 0)
const time = (value: number | string | null): number | null =>
  value === null ? null : Number(value)

/** Record field -> column, for the fields that may be patched or searched. */
export const PROCESS_COLUMNS = {
  id: 'id',
  rootPipelineId: 'root_pipeline_id',
  parentId: 'parent_id',
  destinationId: 'destination_id',
  currentNodeId: 'current_node_id',
  pipelineStack: 'pipeline_stack',
  asleep: 'asleep',
  suspended: 'suspended',
  suspendedBy: 'suspended_by',
  dead: 'dead',
  ackNum: 'ack_num',
  needAck: 'need_ack',
  recoveredAt: 'recovered_at',
  recoveries: 'recoveries',
} as const satisfies Record<keyof ProcessRecord, keyof ProcessesTable>

const STATE_COLUMNS = {
  nodeId: 'node_id',
  rootId: 'root_id',
  parentId: 'parent_id',
  name: 'name',
  version: 'version',
  loop: 'loop',
  innerLoop: 'inner_loop',
  retry: 'retry',
  skip: 'skip',
  errorIgnored: 'error_ignored',
  createdTime: 'created_time',
  startedTime: 'started_time',
  archivedTime: 'archived_time',
} as const satisfies Record<keyof StateRecord, keyof StatesTable>

const SCHEDULE_COLUMNS = {
  id: 'id',
  type: 'type',
  processId: 'process_id',
  nodeId: 'node_id',
  version: 'version',
  finished: 'finished',
  expired: 'expired',
  scheduling: 'scheduling',
  times: 'times',
  dueAt: 'due_at',
} as const satisfies Record<keyof ScheduleRecord, keyof SchedulesTable>

/** A record field's value as its column holds it. */
export function columnValue(value: unknown): unknown {
  if (typeof value === 'boolean') return flag(value)
  if (Array.isArray(value)) return toJson(value)
  return value
}

function patchColumns(
  columns: Record<string, string>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const set: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(patch)) {
    const column = columns[field]
    if (column !== undefined && value !== undefined) set[column] = columnValue(value)
  }
  return set
}

export function processPatch(
  patch: Partial<Omit<ProcessRecord, 'id'>>,
): Updateable<ProcessesTable> {
  return patchColumns(PROCESS_COLUMNS, patch) as Updateable<ProcessesTable>
}

export function statePatch(patch: StatePatch): Updateable<StatesTable> {
  return patchColumns(STATE_COLUMNS, patch) as Updateable<StatesTable>
}

export function schedulePatch(
  patch: Partial<Omit<ScheduleRecord, 'id'>>,
): Updateable<SchedulesTable> {
  return patchColumns(SCHEDULE_COLUMNS, patch) as Updateable<SchedulesTable>
}

export function pipelineRow(pipeline: PipelineRecord) {
  return {
    id: pipeline.id,
    tree: toJson(pipeline.tree) ?? 'null',
    root_pipeline_data: toJson(pipeline.rootPipelineData) ?? 'null',
    created_time: pipeline.createdTime,
  }
}

export function toPipeline(row: Selectable<PipelinesTable>): PipelineRecord {
  return {
    id: row.id,
    tree: fromJson(row.tree),
    rootPipelineData: fromJson(row.root_pipeline_data),
    createdTime: Number(row.created_time),
  }
}

export function processRow(process: ProcessRecord) {
  return {
    id: process.id,
    root_pipeline_id: process.rootPipelineId,
    parent_id: process.parentId,
    destination_id: process.destinationId,
    current_node_id: process.currentNodeId,
    pipeline_stack: toJson(process.pipelineStack) ?? '[]',
    asleep: flag(process.asleep),
    suspended: flag(process.suspended),
    suspended_by: process.suspendedBy,
    dead: flag(process.dead),
    ack_num: process.ackNum,
    need_ack: process.needAck,
    recovered_at: process.recoveredAt ?? null,
    recoveries: process.recoveries ?? 0,
  }
}

export function toProcess(row: Selectable<ProcessesTable>): ProcessRecord {
  return {
    id: row.id,
    rootPipelineId: row.root_pipeline_id,
    parentId: row.parent_id,
    destinationId: row.destination_id,
    currentNodeId: row.current_node_id,
    pipelineStack: fromJson(row.pipeline_stack),
    asleep: row.asleep === 1,
    suspended: row.suspended === 1,
    suspendedBy: row.suspended_by,
    dead: row.dead === 1,
    ackNum: Number(row.ack_num),
    needAck: Number(row.need_ack),
    // Only a process that recover() picked up has these, as in the memory runtime.
    ...(row.recovered_at === null
      ? {}
      : { recoveredAt: row.recovered_at, recoveries: Number(row.recoveries) }),
  }
}

export function stateRow(state: StateRecord) {
  return {
    node_id: state.nodeId,
    root_id: state.rootId,
    parent_id: state.parentId,
    name: state.name,
    version: state.version,
    loop: state.loop,
    inner_loop: state.innerLoop,
    retry: state.retry,
    skip: flag(state.skip),
    error_ignored: flag(state.errorIgnored),
    created_time: state.createdTime,
    started_time: state.startedTime,
    archived_time: state.archivedTime,
  }
}

export function toState(row: Selectable<StatesTable>): StateRecord {
  return {
    nodeId: row.node_id,
    rootId: row.root_id,
    parentId: row.parent_id,
    name: row.name as StateRecord['name'],
    version: row.version,
    loop: Number(row.loop),
    innerLoop: Number(row.inner_loop),
    retry: Number(row.retry),
    skip: row.skip === 1,
    errorIgnored: row.error_ignored === 1,
    createdTime: Number(row.created_time),
    startedTime: time(row.started_time),
    archivedTime: time(row.archived_time),
  }
}

export function scheduleRow(schedule: ScheduleRecord) {
  return {
    id: schedule.id,
    type: schedule.type,
    process_id: schedule.processId,
    node_id: schedule.nodeId,
    version: schedule.version,
    finished: flag(schedule.finished),
    expired: flag(schedule.expired),
    scheduling: flag(schedule.scheduling),
    times: schedule.times,
    due_at: schedule.dueAt,
  }
}

export function toSchedule(row: Selectable<SchedulesTable>): ScheduleRecord {
  return {
    id: row.id,
    type: row.type as ScheduleRecord['type'],
    processId: row.process_id,
    nodeId: row.node_id,
    version: row.version,
    finished: row.finished === 1,
    expired: row.expired === 1,
    scheduling: row.scheduling === 1,
    times: Number(row.times),
    dueAt: row.due_at === null ? null : Number(row.due_at),
  }
}

export function callbackRow(callback: CallbackRecord) {
  return {
    id: callback.id,
    schedule_id: callback.scheduleId,
    node_id: callback.nodeId,
    version: callback.version,
    data: toJson(callback.data),
    consumed: flag(callback.consumed),
  }
}

export function toCallback(row: Selectable<CallbacksTable>): CallbackRecord {
  return {
    id: row.id,
    scheduleId: row.schedule_id,
    nodeId: row.node_id,
    version: row.version,
    data: fromJson(row.data),
    consumed: row.consumed === 1,
  }
}

export function historyRow(history: Omit<HistoryRecord, 'id'>) {
  return {
    node_id: history.nodeId,
    loop: history.loop,
    retry: history.retry,
    skip: flag(history.skip),
    version: history.version,
    started_time: history.startedTime,
    archived_time: history.archivedTime,
    inputs: toJson(history.inputs) ?? '{}',
    outputs: toJson(history.outputs) ?? '{}',
  }
}

export function toHistory(row: Selectable<HistoriesTable>): HistoryRecord {
  return {
    id: Number(row.id),
    nodeId: row.node_id,
    loop: Number(row.loop),
    retry: Number(row.retry),
    skip: row.skip === 1,
    version: row.version,
    startedTime: time(row.started_time),
    archivedTime: time(row.archived_time),
    inputs: fromJson(row.inputs),
    outputs: fromJson(row.outputs),
  }
}
