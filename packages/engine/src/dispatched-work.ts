import type { Dispatcher } from './ports/dispatcher.js'

/**
 * The engine's view of its dispatcher: it forwards every step to the dispatcher and counts, per
 * process, the steps handed over and not yet finished (queued, due on a timer, or running). The
 * step handlers report each finished step with `finished`. A process with no such step and no
 * component call is one nothing will move on: `redispatch` may hand it over again.
 */
export class DispatchedWork implements Dispatcher {
  readonly #inner: Dispatcher
  readonly #pending = new Map<string, number>()

  constructor(inner: Dispatcher) {
    this.#inner = inner
  }

  execute(processId: string, nodeId: string): void | Promise<void> {
    this.#add(processId)
    return this.#handOver(processId, () => this.#inner.execute(processId, nodeId))
  }

  schedule(
    processId: string,
    nodeId: string,
    scheduleId: string,
    delayMs: number,
  ): void | Promise<void> {
    this.#add(processId)
    return this.#handOver(processId, () =>
      this.#inner.schedule(processId, nodeId, scheduleId, delayMs),
    )
  }

  /** One step of the process ended (done, refused or thrown). */
  finished(processId: string): void {
    const count = this.#pending.get(processId) ?? 0
    if (count <= 1) this.#pending.delete(processId)
    else this.#pending.set(processId, count - 1)
  }

  /** How many steps of the process were handed over and have not finished. */
  count(processId: string): number {
    return this.#pending.get(processId) ?? 0
  }

  #add(processId: string): void {
    this.#pending.set(processId, (this.#pending.get(processId) ?? 0) + 1)
  }

  /** A step the dispatcher refused never runs: it no longer counts. */
  #handOver(processId: string, send: () => void | Promise<void>): void | Promise<void> {
    let sent: void | Promise<void>
    try {
      sent = send()
    } catch (error) {
      this.finished(processId)
      throw error
    }
    if (sent instanceof Promise) {
      return sent.catch((error: unknown) => {
        this.finished(processId)
        throw error
      })
    }
    return sent
  }
}
