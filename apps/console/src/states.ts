/** The bamboo node and pipeline states. */
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
  'ROLLING_BACK',
  'ROLL_BACK_SUCCESS',
  'ROLL_BACK_FAILED',
] as const

/** The engines a run or task may run on. */
export const ENGINE_TYPES = ['bamboo_engine', 'pipeline_engine'] as const

/** The flow types a task may have. */
export const FLOW_TYPES = ['common', 'common_func'] as const

/** The fill colour of each state, shared by the graph and the chips of the lists. */
const STATE_COLOURS: Record<string, string> = {
  CREATED: '#e0e0e0',
  READY: '#cfd8dc',
  LOOP_READY: '#cfd8dc',
  RUNNING: '#64b5f6',
  SUSPENDED: '#ffb74d',
  BLOCKED: '#ffb74d',
  FINISHED: '#81c784',
  FAILED: '#e57373',
  REVOKED: '#9e9e9e',
  ROLLING_BACK: '#ba68c8',
  ROLL_BACK_SUCCESS: '#ce93d8',
  ROLL_BACK_FAILED: '#e57373',
}

/** The colour of a node with no state yet (not reached). */
const NOT_REACHED = '#ffffff'

export function stateColour(state: string | null | undefined): string {
  return state ? (STATE_COLOURS[state] ?? NOT_REACHED) : NOT_REACHED
}
