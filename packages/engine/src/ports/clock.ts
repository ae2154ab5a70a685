/** Time, injectable so that tests never sleep. */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  /**
   * Waits `ms` before the engine tries again (the back-off after a storage interruption). Apart
   * from timers: a test clock answers at once and keeps the waits, so back-off never stalls it.
   */
  sleep(ms: number): Promise<void>
}

/** New ids for processes, versions and schedules. */
export interface IdGenerator {
  next(prefix: string): string
}

/** The machine's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

/**
 * A clock that moves only when told to; `advance(ms)` fires the timers that fall due, in order.
 * @example
 * const clock = new ManualClock()
 * const engine = createEngine({ clock })
 * await clock.advance(1000)
 */
export class ManualClock implements Clock {
  #now: number
  #timers = new Map<number, { at: number; fn: () => void }>()
  #next = 1
  /** The back-off waits asked of this clock, in order: answered at once, time stays where it is. */
  readonly sleeps: number[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.#next++
    this.#timers.set(handle, { at: this.#now + Math.max(0, ms), fn })
    return handle
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms)
    return Promise.resolve()
  }

  /** Moves time forward, firing due timers one by one and letting their work settle between. */
  async advance(ms: number, settle: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    const until = this.#now + ms
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined
      for (const entry of this.#timers) {
        if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry
      }
      if (!due) break
      this.#timers.delete(due[0])
      this.#now = Math.max(this.#now, due[1].at)
      due[1].fn()
      await settle()
    }
    this.#now = until
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.#timers.size
  }
}
