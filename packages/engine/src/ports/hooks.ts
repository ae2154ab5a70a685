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
  /** A component call ended in an exception the component did not catch. */
  componentError?(event: { nodeId: string; code: string; error: unknown }): void
}
