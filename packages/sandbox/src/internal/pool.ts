import type { PluginIsolate } from './isolate.js'

/** How the pool gives back isolates a burst of calls left idle. */
export interface PoolOptions {
  /** An isolate idle this long is disposed, down to one kept warm (ms; 0 keeps them all). */
  idleMs?: number
  /** The clock idleness is measured on. */
  now?: () => number
}

/**
 * The isolates of one plugin: reused across calls, one call at a time each, at most `max` of
 * them; a disposed isolate (memory or time limit) is dropped and a new one started on demand.
 * One call per isolate keeps calls apart: a call that overruns a limit disposes its own isolate
 * and no other call's. Isolates a burst started are disposed again once idle for `idleMs`.
 */
export class IsolatePool {
  readonly #start: () => Promise<PluginIsolate>
  readonly #max: number
  readonly #idleMs: number
  readonly #now: () => number
  /** Idle isolates, the most recently used last, each with when it became idle. */
  #idle: Array<{ isolate: PluginIsolate; since: number }> = []
  #size = 0
  #waiters: Array<() => void> = []
  #closed = false
  #trimmer: ReturnType<typeof setInterval> | undefined

  constructor(
    start: () => Promise<PluginIsolate>,
    max: number,
    warm?: PluginIsolate,
    options: PoolOptions = {},
  ) {
    this.#start = start
    this.#max = Math.max(1, max)
    this.#idleMs = options.idleMs ?? 0
    this.#now = options.now ?? Date.now
    if (warm) {
      this.#idle.push({ isolate: warm, since: this.#now() })
      this.#size = 1
    }
    if (this.#idleMs > 0 && this.#max > 1) {
      this.#trimmer = setInterval(() => this.trimIdle(), Math.max(1000, this.#idleMs / 2))
      this.#trimmer.unref()
    }
  }

  /** How many isolates the pool holds (busy and idle). */
  get size(): number {
    return this.#size
  }

  /** Runs `fn` with an isolate of its own, starting or waiting for one as needed. */
  async use<T>(fn: (isolate: PluginIsolate) => Promise<T>): Promise<T> {
    const isolate = await this.#acquire()
    try {
      return await fn(isolate)
    } finally {
      this.#release(isolate)
    }
  }

  async #acquire(): Promise<PluginIsolate> {
    for (;;) {
      const idle = this.#idle.pop()?.isolate
      if (idle && !idle.disposed) return idle
      if (idle) {
        this.#size--
        continue
      }
      if (this.#size < this.#max) {
        this.#size++
        try {
          return await this.#start()
        } catch (error) {
          this.#size--
          this.#wake()
          throw error
        }
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
  }

  #release(isolate: PluginIsolate): void {
    if (isolate.disposed || this.#closed) {
      this.#size--
      if (!isolate.disposed) isolate.dispose()
    } else {
      this.#idle.push({ isolate, since: this.#now() })
    }
    this.#wake()
  }

  #wake(): void {
    this.#waiters.shift()?.()
  }

  /**
   * Disposes the isolates idle for `idleMs` or longer, keeping one (the most recently used) so
   * that the next call finds a warm isolate. Runs on its own every half `idleMs`.
   */
  trimIdle(): void {
    if (this.#idleMs <= 0) return
    const cutoff = this.#now() - this.#idleMs
    // The least recently used come first; the last idle isolate always stays.
    while (this.#idle.length > 1 && (this.#idle[0]?.since ?? Number.POSITIVE_INFINITY) <= cutoff) {
      const oldest = this.#idle.shift()
      if (!oldest) break
      this.#size--
      if (!oldest.isolate.disposed) oldest.isolate.dispose()
    }
  }

  /** Disposes every idle isolate; busy ones are disposed when their call ends. */
  close(): void {
    this.#closed = true
    clearInterval(this.#trimmer)
    for (const { isolate } of this.#idle) isolate.dispose()
    this.#size -= this.#idle.length
    this.#idle = []
  }
}
