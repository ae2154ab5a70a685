import type { NodeRecord } from '@culm/engine'
import { type Kysely, sql } from 'kysely'
import type { AdminAction } from '../admin/actions.js'
import type { User } from '../auth/users.js'
import type { EngineType } from '../pipelines.js'
import { num, numOrNull } from './lists.js'
import type { ConsoleDatabase, RunReader } from './run-reader.js'

/** The kinds of stuck runs the console shows. */
export const STUCK_KINDS = [
  'idle_run',
  'long_running_node',
  'overdue_schedule',
  'converge_waiting',
  'terminal_node',
] as const
/** One of `STUCK_KINDS`. */
export type StuckKind = (typeof STUCK_KINDS)[number]

/** The engine-admin call that safely unblocks a stuck run. */
export interface StuckAction {
  name: AdminAction
  engine_type: EngineType
  instance_id: string
  body: Record<string, unknown>
  label: string
}

/** One reason a run does not move. */
export interface Stuck {
  id: string
  kind: StuckKind
  run_id: string
  run_name: string
  engine_type: EngineType
  node_id: string | null
  since: number | null
  detail: string
  action: StuckAction | null
}

/** How late a due schedule may be before it counts as overdue: the dispatcher lost it. */
export const OVERDUE_GRACE_MS = 60_000
/** How long a process may sit on a finished node before it counts as stuck (a step in flight). */
export const SETTLE_MS = 60_000
/** At most this many candidates of each kind are looked at per query. */
const CANDIDATES = 500

type Found = Omit<Stuck, 'engine_type' | 'run_name' | 'action'> & {
  action: Omit<StuckAction, 'engine_type'> | null
}

function stuckId(kind: StuckKind, runId: string, nodeId: string | null): string {
  return `${kind}:${runId}${nodeId ? `:${nodeId}` : ''}`
}

/** Sends a run's stalled work on again: it refuses, naming why, what it cannot move. */
function redispatchOf(runId: string, label: string): Omit<StuckAction, 'engine_type'> {
  return { name: 'task_redispatch', instance_id: runId, body: {}, label }
}

/** Ends a run that nothing can move on. */
function revokeOf(runId: string, why: string): Omit<StuckAction, 'engine_type'> {
  return { name: 'task_revoke', instance_id: runId, body: {}, label: `Revoke the run: ${why}` }
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 120) return `${seconds} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  return `${Math.round(seconds / 3600)} h`
}

/**
 * Finds runs that look alive but do not move, each with the engine-admin action that unblocks it
 * safely, reading the store's tables: a node RUNNING longer than a threshold, a schedule whose
 * call is overdue, a converge gateway whose branches all ended without arriving, a process
 * sitting on a finished or failed node, and a run with nothing running, scheduled or paused.
 * Only runs whose root is RUNNING count; paused (SUSPENDED) runs are not stuck.
 */
export class StuckRuns {
  readonly #db: Kysely<ConsoleDatabase>
  readonly #runs: RunReader
  readonly #now: () => number

  constructor(deps: {
    db: Kysely<ConsoleDatabase>
    runs: RunReader
    now: () => number
  }) {
    this.#db = deps.db
    this.#runs = deps.runs
    this.#now = deps.now
  }

  /** Every stuck run `user` may read, oldest first. */
  async find(
    user: User,
    options: { runningLongerThanMs: number; kind?: StuckKind },
  ): Promise<Stuck[]> {
    const now = this.#now()
    const wanted = (kind: StuckKind) => options.kind === undefined || options.kind === kind
    const found: Found[] = []
    if (wanted('long_running_node')) found.push(...(await this.#longRunning(now, options)))
    if (wanted('overdue_schedule')) found.push(...(await this.#overdue(now)))
    // Idle runs leave out the runs a converge or a terminal node explains.
    const converging =
      wanted('converge_waiting') || wanted('idle_run') ? await this.#convergeWaiting() : []
    if (wanted('converge_waiting')) found.push(...converging)
    const terminal = wanted('terminal_node') || wanted('idle_run') ? await this.#terminal(now) : []
    if (wanted('terminal_node')) found.push(...terminal)
    if (wanted('idle_run')) {
      const explained = new Set([...converging, ...terminal].map((f) => f.run_id))
      found.push(...(await this.#idle(now, options, explained)))
    }
    const runs = await this.#runs.runsById(user, [...new Set(found.map((f) => f.run_id))])
    const answer: Stuck[] = []
    for (const f of found) {
      const run = runs.get(f.run_id)
      if (!run) continue
      answer.push({
        id: f.id,
        kind: f.kind,
        run_id: f.run_id,
        run_name: run.name,
        engine_type: run.engine_type,
        node_id: f.node_id,
        since: f.since,
        detail: f.detail,
        action: f.action ? { ...f.action, engine_type: run.engine_type } : null,
      })
    }
    return answer.sort((a, b) => (a.since ?? 0) - (b.since ?? 0) || a.id.localeCompare(b.id))
  }

  /** Service activities RUNNING since before the threshold, in a running run. */
  async #longRunning(now: number, options: { runningLongerThanMs: number }): Promise<Found[]> {
    const rows = await this.#db
      .selectFrom('culm_states as s')
      .innerJoin('culm_states as r', 'r.node_id', 's.root_id')
      .select(['s.node_id', 's.root_id', 's.started_time', 's.version'])
      .where('s.name', '=', 'RUNNING')
      .where('r.name', '=', 'RUNNING')
      .where(sql<boolean>`s.node_id <> s.root_id`)
      .where('s.started_time', '<=', now - options.runningLongerThanMs)
      .orderBy('s.started_time')
      .limit(CANDIDATES)
      .execute()
    const nodes = await this.#nodes(rows.map((r) => r.node_id))
    const called = await this.#calledBack(rows)
    const found: Found[] = []
    for (const row of rows) {
      const node = nodes.get(row.node_id)
      if (node?.type !== 'ServiceActivity') continue
      const since = numOrNull(row.started_time)
      // Failing a node whose callback waits would drop what the outside system sent.
      const calledBack = called.has(`${row.node_id}@${row.version}`)
      found.push({
        id: stuckId('long_running_node', row.root_id, row.node_id),
        kind: 'long_running_node',
        run_id: row.root_id,
        node_id: row.node_id,
        since,
        detail: `node ${node.name || row.node_id} (${node.component?.code ?? 'activity'}) has been RUNNING for ${ago(now - (since ?? now))}${calledBack ? ", and a callback's data waits to be applied to it" : ''}`,
        action: calledBack
          ? redispatchOf(row.root_id, 'Apply the waiting callback now')
          : {
              name: 'node_forced_fail',
              instance_id: row.node_id,
              body: {},
              label: 'Force-fail the node, then retry or skip it',
            },
      })
    }
    return found
  }

  /** `node@version` of the nodes whose callbacks at their current version are not applied. */
  async #calledBack(rows: Array<{ node_id: string; version: string }>): Promise<Set<string>> {
    if (rows.length === 0) return new Set()
    const waiting = await this.#db
      .selectFrom('culm_callbacks')
      .select(['node_id', 'version'])
      .where(
        'node_id',
        'in',
        rows.map((r) => r.node_id),
      )
      .where('consumed', '=', 0)
      .execute()
    const current = new Set(rows.map((r) => `${r.node_id}@${r.version}`))
    return new Set(waiting.map((w) => `${w.node_id}@${w.version}`).filter((k) => current.has(k)))
  }

  /** The compiled definitions of these nodes, by id. */
  async #nodes(ids: string[]): Promise<Map<string, NodeRecord>> {
    if (ids.length === 0) return new Map()
    const rows = await this.#db
      .selectFrom('culm_nodes')
      .select(['id', 'detail'])
      .where('id', 'in', ids)
      .execute()
    return new Map(rows.map((r) => [r.id, JSON.parse(r.detail) as NodeRecord]))
  }

  /** Pending schedules whose call was due more than a minute ago: nothing will make it. */
  async #overdue(now: number): Promise<Found[]> {
    const rows = await this.#db
      .selectFrom('culm_schedules as c')
      .innerJoin('culm_states as s', (join) =>
        join.onRef('s.node_id', '=', 'c.node_id').onRef('s.version', '=', 'c.version'),
      )
      .innerJoin('culm_states as r', 'r.node_id', 's.root_id')
      .select(['c.id', 'c.type', 'c.node_id', 'c.due_at', 'c.times', 's.root_id', 's.name'])
      .where('c.finished', '=', 0)
      .where('c.expired', '=', 0)
      .where('c.due_at', 'is not', null)
      .where('c.due_at', '<', now - OVERDUE_GRACE_MS)
      .where('r.name', '=', 'RUNNING')
      .orderBy('c.due_at')
      .limit(CANDIDATES)
      .execute()
    return rows.map((row) => {
      const since = numOrNull(row.due_at)
      return {
        id: stuckId('overdue_schedule', row.root_id, row.node_id),
        kind: 'overdue_schedule' as const,
        run_id: row.root_id,
        node_id: row.node_id,
        since,
        detail: `the ${row.type} call ${num(row.times) + 1} of node ${row.node_id} (${row.name}) was due ${ago(now - (since ?? now))} ago and did not run`,
        action: redispatchOf(row.root_id, `Run the overdue ${row.type} call now`),
      }
    })
  }

  /** Processes waiting at a fork for children that have all ended without arriving. */
  async #convergeWaiting(): Promise<Found[]> {
    const rows = await this.#db
      .selectFrom('culm_processes as p')
      .innerJoin('culm_states as r', 'r.node_id', 'p.root_pipeline_id')
      .select(['p.id', 'p.root_pipeline_id', 'p.ack_num', 'p.need_ack', 'p.current_node_id'])
      .where('p.dead', '=', 0)
      .where('p.need_ack', '>', 0)
      .where(sql<boolean>`p.ack_num < p.need_ack`)
      .where('r.name', '=', 'RUNNING')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('culm_processes as c')
              .select('c.id')
              .whereRef('c.parent_id', '=', 'p.id')
              .where('c.dead', '=', 0),
          ),
        ),
      )
      .limit(CANDIDATES)
      .execute()
    if (rows.length === 0) return []
    const branches = await this.#db
      .selectFrom('culm_processes')
      .select(['parent_id', 'destination_id', 'current_node_id'])
      .where(
        'parent_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute()
    const lastChanges = await this.#db
      .selectFrom('culm_states')
      .select(['root_id', sql<number | null>`max(coalesce(archived_time, started_time))`.as('at')])
      .where('root_id', 'in', [...new Set(rows.map((r) => r.root_pipeline_id))])
      .groupBy('root_id')
      .execute()
    const lastChange = new Map(lastChanges.map((r) => [r.root_id, numOrNull(r.at)]))
    return rows.map((row) => {
      const own = branches.filter((b) => b.parent_id === row.id)
      const converge = own.find((b) => b.destination_id !== null)?.destination_id ?? null
      // Branches that all ended at the converge only lost their arrival: they can be joined.
      const lost = own.some((b) => b.current_node_id !== (b.destination_id ?? ''))
      return {
        id: stuckId('converge_waiting', row.root_pipeline_id, converge),
        kind: 'converge_waiting' as const,
        run_id: row.root_pipeline_id,
        node_id: converge,
        since: lastChange.get(row.root_pipeline_id) ?? null,
        detail: `converge gateway ${converge ?? '?'} waits for ${num(row.need_ack)} branches of gateway ${row.current_node_id}; ${num(row.ack_num)} arrived and every other branch has ended, so it will never proceed`,
        action: lost
          ? revokeOf(row.root_pipeline_id, 'a branch ended short of the converge gateway')
          : redispatchOf(
              row.root_pipeline_id,
              'Join the branches, which all reached the converge gateway, and go on',
            ),
      }
    })
  }

  /** Live processes sitting on a FAILED node, or on a FINISHED one for more than a minute. */
  async #terminal(now: number): Promise<Found[]> {
    const rows = await this.#db
      .selectFrom('culm_processes as p')
      .innerJoin('culm_states as s', 's.node_id', 'p.current_node_id')
      .innerJoin('culm_states as r', 'r.node_id', 'p.root_pipeline_id')
      .select([
        'p.id',
        'p.root_pipeline_id',
        'p.current_node_id',
        'p.asleep',
        's.name',
        's.archived_time',
        's.version',
      ])
      .where('p.dead', '=', 0)
      .where('p.need_ack', '=', 0)
      .where('r.name', '=', 'RUNNING')
      .where(sql<boolean>`s.node_id <> s.root_id`)
      .where((eb) =>
        eb.or([
          eb('s.name', '=', 'FAILED'),
          eb.and([eb('s.name', '=', 'FINISHED'), eb('s.archived_time', '<=', now - SETTLE_MS)]),
        ]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('culm_schedules as c')
              .select('c.id')
              .whereRef('c.node_id', '=', 'p.current_node_id')
              .whereRef('c.version', '=', 's.version')
              .where('c.finished', '=', 0)
              .where('c.expired', '=', 0),
          ),
        ),
      )
      .limit(CANDIDATES)
      .execute()
    return rows.map((row) => {
      const failed = row.name === 'FAILED'
      return {
        id: stuckId('terminal_node', row.root_pipeline_id, row.current_node_id),
        kind: 'terminal_node' as const,
        run_id: row.root_pipeline_id,
        node_id: row.current_node_id,
        since: numOrNull(row.archived_time),
        detail: failed
          ? `node ${row.current_node_id} FAILED and its process waits there for an operator`
          : `node ${row.current_node_id} FINISHED but its process never moved past it`,
        action: failed
          ? {
              name: 'node_retry' as const,
              instance_id: row.current_node_id,
              body: {},
              label: 'Retry the node (edit its inputs first if they caused the failure)',
            }
          : row.asleep
            ? revokeOf(row.root_pipeline_id, 'where its process goes on was not recorded')
            : redispatchOf(
                row.root_pipeline_id,
                'Send the process on from the node, as it was due',
              ),
      }
    })
  }

  /**
   * Running runs without a change for longer than the threshold, with no node running, nothing
   * scheduled or waiting for a callback, nothing paused and no failed node.
   */
  async #idle(
    now: number,
    options: { runningLongerThanMs: number },
    explained: ReadonlySet<string>,
  ): Promise<Found[]> {
    const changed = sql<number>`max(coalesce(s.archived_time, s.started_time, s.created_time))`
    const rows = await this.#db
      .selectFrom('culm_states as r')
      .innerJoin('culm_states as s', 's.root_id', 'r.node_id')
      .select(['r.node_id', changed.as('changed')])
      .where('r.name', '=', 'RUNNING')
      .where('r.parent_id', '=', '')
      .groupBy('r.node_id')
      .having(changed, '<=', now - options.runningLongerThanMs)
      .limit(CANDIDATES)
      .execute()
    const candidates = rows.filter((row) => !explained.has(row.node_id))
    if (candidates.length === 0) return []
    const roots = candidates.map((row) => row.node_id)
    const states = await this.#db
      .selectFrom('culm_states')
      .select(['root_id', 'node_id', 'parent_id', 'name'])
      .where('root_id', 'in', roots)
      .execute()
    const scheduled = await this.#db
      .selectFrom('culm_schedules as c')
      .innerJoin('culm_states as s', 's.node_id', 'c.node_id')
      .select('s.root_id')
      .distinct()
      .where('s.root_id', 'in', roots)
      .where('c.finished', '=', 0)
      .where('c.expired', '=', 0)
      .execute()
    const processes = await this.#db
      .selectFrom('culm_processes')
      .select(['root_pipeline_id', 'suspended', 'dead'])
      .where('root_pipeline_id', 'in', roots)
      .execute()
    const busy = new Set(scheduled.map((r) => r.root_id))
    for (const p of processes) if (p.suspended) busy.add(p.root_pipeline_id)
    const live = new Set(processes.filter((p) => !p.dead).map((p) => p.root_pipeline_id))
    const parents = new Set(states.map((s) => s.parent_id))
    for (const state of states) {
      // A RUNNING pipeline or subprocess holds running nodes; only a RUNNING leaf is work.
      const working = state.name === 'RUNNING' && !parents.has(state.node_id)
      if (working || state.name === 'FAILED' || state.name === 'SUSPENDED') busy.add(state.root_id)
    }
    const found: Found[] = []
    for (const row of candidates) {
      const rootId = row.node_id
      if (busy.has(rootId)) continue
      const since = numOrNull(row.changed)
      found.push({
        id: stuckId('idle_run', rootId, null),
        kind: 'idle_run',
        run_id: rootId,
        node_id: null,
        since,
        detail: `the run is RUNNING but nothing has run, been scheduled or waited for a callback for ${ago(now - (since ?? now))}`,
        action: live.has(rootId)
          ? redispatchOf(rootId, 'Dispatch the work nothing moves on again')
          : revokeOf(rootId, 'no process of it is left'),
      })
    }
    return found
  }
}
