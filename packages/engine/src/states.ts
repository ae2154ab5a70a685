/** The states of a node or a (sub)pipeline, as the Python engine names them. */
export const STATES = [
  'CREATED',
  'READY',
  'LOOP_READY',
  'RUNNING',
  'SUSPENDED',
  'BLOCKED',
  'FINISHED',
  'FAILED',
  'REVOKED',
] as const
export type StateName = (typeof STATES)[number]

/** States a node does not leave by itself. */
export const ARCHIVED_STATES: ReadonlySet<StateName> = new Set(['FINISHED', 'FAILED', 'REVOKED'])

const TRANSITIONS: Record<StateName, ReadonlySet<StateName>> = {
  CREATED: new Set(),
  READY: new Set(['RUNNING', 'SUSPENDED']),
  LOOP_READY: new Set(['RUNNING', 'SUSPENDED']),
  RUNNING: new Set(['FINISHED', 'FAILED', 'REVOKED', 'SUSPENDED']),
  SUSPENDED: new Set(['READY', 'REVOKED', 'RUNNING']),
  FINISHED: new Set(['RUNNING', 'FAILED']),
  FAILED: new Set(['READY', 'FINISHED', 'LOOP_READY']),
  REVOKED: new Set(),
  BLOCKED: new Set(),
}

/** Whether the transition table of the Python engine allows `from -> to`. */
export function canTransit(from: StateName, to: StateName): boolean {
  return TRANSITIONS[from].has(to)
}
