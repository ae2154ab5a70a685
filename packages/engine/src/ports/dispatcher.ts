/**
 * Where the engine sends work: the engine never loops on its own, it asks the dispatcher to run
 * an execute step now or a schedule step later.
 */
export interface Dispatcher {
  /** Runs `engine.execute(processId, nodeId)` soon. */
  execute(processId: string, nodeId: string): void | Promise<void>
  /** Runs `engine.schedule(processId, nodeId, scheduleId)` after `delayMs`. */
  schedule(
    processId: string,
    nodeId: string,
    scheduleId: string,
    delayMs: number,
  ): void | Promise<void>
}

/** The engine steps a dispatcher calls. */
export interface StepHandler {
  execute(processId: string, nodeId: string): Promise<void>
  schedule(processId: string, nodeId: string, scheduleId: string): Promise<void>
}
