import type { StateName } from '../states.js'

/** Optional observers of what the engine does; they never change it. */
export interface EngineHooks {
  /** A node or (sub)pipeline moved to a new state. */
  stateChanged?(event: {
    nodeId: string
    rootId: string
    from: StateName | null
    to: StateName
    version: string
  }): void
  /**
   * A component answered after its node had moved on (force-failed, timed out, revoked): the
   * answer was not written.
   */
  componentResultDiscarded?(event: {
    nodeId: string
    version: string
    phase: 'execute' | 'schedule'
    reason: string
  }): void
  /** An engine step failed for a reason that is not a storage interruption; its node failed. */
  stepFailed?(event: { processId: string; nodeId: string; error: unknown }): void
  /** A component call ended in an exception the component did not catch. */
  componentError?(event: { nodeId: string; code: string; error: unknown }): void
}
