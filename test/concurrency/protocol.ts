/** Messages between the concurrency test and its child processes (over the IPC channel). */

/** A pipeline a runner started: its root and its callback nodes. */
export interface PipelineInfo {
  rootId: string
  callbackNodes: string[]
}

/** What a child saw, sent once at its end. */
export interface ChildReport {
  role: 'runner' | 'controller'
  worker: number
  /** Errors thrown by steps (`dispatcher.errors`) and refused starts: each one a failure. */
  errors: string[]
  /** Deadlocks and lock waits the store retried (handled: reported, not a failure). */
  retries: string[]
  /** Engine API calls refused, counted by message (ids masked). */
  refusals: Record<string, number>
  /** Component calls made in this process, by phase and node id. */
  componentCalls: { execute: Record<string, number>; schedule: Record<string, number> }
  /** Accepted callbacks by node id (controller). */
  callbacks: Record<string, number>
  pauses: number
  resumes: number
  /** Pipelines not FINISHED (runner) or not fully handled (controller) at the deadline. */
  unfinished: string[]
  elapsedMs: number
}

export type WorkerMessage =
  | { type: 'started'; worker: number; pipelines: PipelineInfo[] }
  | { type: 'report'; report: ChildReport }

export type ParentMessage =
  | { type: 'pipelines'; pipelines: PipelineInfo[] }
  | { type: 'all-started' }

/** The data the controller sends with the callback of a node. */
export const callbackData = (nodeId: string): { token: string } => ({ token: `cb:${nodeId}` })

/** An error as one line: its name, code/errno and message, and those of its causes. */
export function describeError(error: unknown): string {
  const parts: string[] = []
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) {
      const { code, errno } = e as { code?: unknown; errno?: unknown }
      parts.push(
        `${e.name}${code === undefined ? '' : ` ${String(code)}`}${errno === undefined ? '' : `/${String(errno)}`}: ${e.message}`,
      )
      e = e.cause
    } else {
      parts.push(String(e))
      e = undefined
    }
  }
  return parts.join(' <- caused by ')
}

/** The concurrency test could not run as set up (a missing build, a bad argument). */
export class ConcurrencyTestError extends Error {
  override name = 'ConcurrencyTestError'
}
