/** The engine-admin actions (`POST /engine-admin/api/v1/{engine_type}/{action}/{instance_id}`). */
export const ADMIN_ACTIONS = [
  'task_pause',
  'task_resume',
  'task_revoke',
  'task_redispatch',
  'node_retry',
  'node_skip',
  'node_callback',
  'node_skip_exg',
  'node_skip_cpg',
  'node_forced_fail',
] as const
export type AdminAction = (typeof ADMIN_ACTIONS)[number]

/** The button label of each action. */
export const ACTION_LABELS: Record<AdminAction, string> = {
  task_pause: 'Pause',
  task_resume: 'Resume',
  task_revoke: 'Revoke',
  task_redispatch: 'Dispatch again',
  node_retry: 'Retry',
  node_skip: 'Skip',
  node_callback: 'Call back',
  node_skip_exg: 'Skip gateway',
  node_skip_cpg: 'Skip gateway',
  node_forced_fail: 'Force fail',
}

/** Whether an action cannot be undone, and so is drawn as a danger. */
export function isDangerous(action: AdminAction): boolean {
  return action === 'task_revoke' || action === 'node_forced_fail'
}

/** What an action does, said in the confirmation before it runs. */
export function describeAction(action: AdminAction, target: string, engineType: string): string {
  const on = `on ${engineType}`
  switch (action) {
    case 'task_pause':
      return `Pause run ${target} ${on}: running nodes finish, then no new node starts until it is resumed.`
    case 'task_resume':
      return `Resume run ${target} ${on}: its paused branches continue.`
    case 'task_revoke':
      return `Revoke run ${target} ${on}: it ends for good (REVOKED) and cannot be resumed.`
    case 'task_redispatch':
      return `Dispatch again the work of run ${target} ${on} that nothing moves on: processes left between steps go on from their node, overdue calls run, branches that all reached their converge gateway join. Work under way is left alone.`
    case 'node_retry':
      return `Retry node ${target} ${on} with the inputs below: they replace the node's inputs, and the node runs again.`
    case 'node_skip':
      return `Skip failed node ${target} ${on}: it is marked FINISHED (skipped) without outputs and the run goes on.`
    case 'node_callback':
      return `Call back node ${target} ${on} with the data below: its schedule runs with that data.`
    case 'node_skip_exg':
      return `Skip failed exclusive gateway ${target} ${on} and continue along the chosen flow.`
    case 'node_skip_cpg':
      return `Skip failed conditional parallel gateway ${target} ${on} and run the chosen flows up to the converge gateway.`
    case 'node_forced_fail':
      return `Force node ${target} ${on} to fail now: it is marked FAILED ("force fail by engine_admin"); its running work is discarded.`
  }
}

/** The URL of an action on an instance (a run or a node). */
export function adminPath(engineType: string, action: string, instanceId: string): string {
  return `/engine-admin/api/v1/${encodeURIComponent(engineType)}/${encodeURIComponent(action)}/${encodeURIComponent(instanceId)}`
}

const ARCHIVED = new Set(['FINISHED', 'FAILED', 'REVOKED'])

/** The run actions that apply in the run's state. */
export function runActions(state: string | null | undefined): AdminAction[] {
  if (!state || ARCHIVED.has(state)) return []
  if (state === 'SUSPENDED') return ['task_resume', 'task_revoke']
  // A run that looks alive but does not move can have its stalled work dispatched again.
  return ['task_pause', 'task_redispatch', 'task_revoke']
}

/** The node actions that apply to a node of this type in this state. */
export function nodeActions(
  type: string,
  state: string | null | undefined,
  /** The node's schedule when known: a call back needs one waiting for callbacks. */
  schedule?: { type: string; finished: boolean } | null,
): AdminAction[] {
  if (type === 'ServiceActivity') {
    if (state === 'FAILED') return ['node_retry', 'node_skip']
    if (state !== 'RUNNING') return []
    const waits =
      schedule === undefined ||
      (schedule !== null && !schedule.finished && schedule.type.endsWith('callback'))
    return waits ? ['node_callback', 'node_forced_fail'] : ['node_forced_fail']
  }
  if (state !== 'FAILED') return []
  if (type === 'ExclusiveGateway') return ['node_skip_exg']
  if (type === 'ConditionalParallelGateway') return ['node_skip_cpg']
  return []
}

/** The keys the engine adds to a node's inputs itself: a retry does not send them back. */
const SYSTEM_INPUTS = new Set(['_loop', '_inner_loop'])

/** A node's inputs as a retry starts from: what it ran with, without the engine's own keys. */
export function retryInputs(inputs: unknown): Record<string, unknown> {
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) return {}
  return Object.fromEntries(Object.entries(inputs).filter(([key]) => !SYSTEM_INPUTS.has(key)))
}
