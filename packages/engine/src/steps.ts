import type { AfterCommit, ComponentCalls } from './component-calls.js'
import { isInterruptedError } from './errors.js'
import type { Clock } from './ports/clock.js'
import type { Runtime } from './ports/runtime.js'

/** How often a step interrupted by the storage is tried before its error is let through. */
export const MAX_STEP_ATTEMPTS = 8

/** The wait before the `attempt`-th try again: 10, 20, 40 … ms, at most 200. */
export function backOffMs(attempt: number): number {
  return Math.min(200, 5 * 2 ** attempt)
}

/**
 * The engine's transactions: each step runs in one, then the work it left for after the commit
 * runs. A storage interruption rolls the transaction back and runs it again (a few times, backing
 * off); component calls already made in it are not made again: their results are held until the
 * commit (the recover point), so side effects happen once as long as this process lives.
 */
export class Steps {
  readonly #runtime: Runtime
  readonly #calls: ComponentCalls
  readonly #clock: Clock

  constructor(runtime: Runtime, calls: ComponentCalls, clock: Clock) {
    this.#runtime = runtime
    this.#calls = calls
    this.#clock = clock
  }

  /** Whether an error is the storage's interruption of a transaction (it can run again). */
  isInterruption(error: unknown): boolean {
    return this.#runtime.isInterruption?.(error) === true || isInterruptedError(error)
  }

  async run<T>(fn: (tx: Runtime, after: AfterCommit) => Promise<T>): Promise<T> {
    const after: AfterCommit = []
    this.#calls.begin(after)
    for (let attempt = 1; ; attempt++) {
      let result: T
      try {
        result = await this.#runtime.transaction((tx) => {
          // A runtime may run the function again itself: only the last attempt's work counts.
          after.length = 0
          return fn(tx, after)
        })
      } catch (error) {
        // Held answers outlive a step that failed for another reason than an interruption: the
        // engine runs its nodes again one by one to find the one to fail.
        if (this.isInterruption(error) && attempt >= MAX_STEP_ATTEMPTS) this.#calls.end(after)
        if (attempt >= MAX_STEP_ATTEMPTS || !this.isInterruption(error)) throw error
        await this.#clock.sleep(backOffMs(attempt))
        continue
      }
      // Committed: the held component results of this step are written down, drop them.
      this.#calls.end(after)
      for (const action of after) await action()
      return result
    }
  }
}
