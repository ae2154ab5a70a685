import type { HistoryRecord, StateRecord } from '../ports/records.js'

/** A state as the Python engine's state trees show it. */
export interface StateTreeEntry {
  id: string
  state: string
  root_id: string
  'root_id:': string
  parent_id: string
  version: string
  loop: number
  retry: number
  skip: boolean
  error_ignorable: boolean
  error_ignored: boolean
  created_time: Date
  started_time: Date | null
  archived_time: Date | null
  children: Record<string, StateTreeEntry>
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))

/** One state in the shape of `get_pipeline_states`. */
export function stateEntry(state: StateRecord): StateTreeEntry {
  const parent = state.parentId || state.nodeId
  return {
    id: state.nodeId,
    state: state.name,
    root_id: state.rootId,
    'root_id:': state.rootId,
    parent_id: parent,
    version: state.version,
    loop: state.loop,
    retry: state.retry,
    skip: state.skip,
    error_ignorable: state.errorIgnored,
    error_ignored: state.errorIgnored,
    created_time: new Date(state.createdTime),
    started_time: date(state.startedTime),
    archived_time: date(state.archivedTime),
    children: {},
  }
}

/** The state tree of a root: flat (every descendant under the root) or nested by parent. */
export function stateTree(
  rootId: string,
  states: StateRecord[],
  flat: boolean,
): Record<string, StateTreeEntry> {
  const root = states.find((s) => s.nodeId === rootId)
  if (!root) return {}
  const rootEntry = stateEntry(root)
  const others = states.filter((s) => s.nodeId !== rootId)
  if (flat) {
    for (const state of others) rootEntry.children[state.nodeId] = stateEntry(state)
    return { [rootId]: rootEntry }
  }
  const entries = new Map<string, StateTreeEntry>([[rootId, rootEntry]])
  for (const state of others) entries.set(state.nodeId, stateEntry(state))
  for (const state of others) {
    const parent = entries.get(state.parentId) ?? rootEntry
    parent.children[state.nodeId] = entries.get(state.nodeId)!
  }
  return { [rootId]: rootEntry }
}

/** A history entry as `get_node_histories` shows it. */
export function historyEntry(history: HistoryRecord, short: boolean): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    id: history.id,
    node_id: history.nodeId,
    started_time: date(history.startedTime),
    archived_time: date(history.archivedTime),
    loop: history.loop,
    skip: history.skip,
    version: history.version,
  }
  if (!short) {
    entry.retry = history.retry
    entry.inputs = history.inputs
    entry.outputs = history.outputs
  }
  return entry
}
