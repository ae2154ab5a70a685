import type { PluginIsolate } from './isolate.js'

/** How far the pool grows beside calls that wait on the host, and how it shrinks again. */
export interface PoolOptions {
  /**
   * Calls at once, those waiting on the host included (`max` by default). While a call waits on
   * a fetch, a sleep or a timer, its isolate runs no code: the pool starts another for the next
   * call, up to this many isolates, as long as at most `max` of them are not waiting.
   */
  maxCalls?: number
  /**
   * The memory the isolates of waiting calls may hold in all, in bytes (unbounded by default):
   * no isolate starts beside waiting calls that hold more, so that calls which fill their heap
   * and then wait cannot multiply the plugin's memory.
   */
  waitingMemoryBytes?: number
  /** An isolate idle this long is disposed, down to one kept warm (ms; 0 keeps them all). */
  idleMs?: number
  /** The clock idleness is measured on. */
  now?: () => number
}

/**
 * The isolates of one plugin: reused across calls, one call at a time each; at most `max` calls
 * run code at once, and up to `maxCalls` isolates are started for calls beside those that wait
 * on the host (a slow fetch does not hold up the plugin's other calls). A disposed isolate (memory or time
 * limit) is dropped and a new one started on demand. One call per isolate keeps calls apart: a
 * call that overruns a limit disposes its own isolate and no other call's. Isolates a burst
 * started are disposed again once idle for `idleMs`.
 */
export class IsolatePool {
  readonly #start: () => Promise<PluginIsolate>
  readonly #max: number
  readonly #maxCalls: number
  readonly #waitingMemoryBytes: number
  readonly #idleMs: number
  readonly #now: () => number
  /** Idle isolates, the most recently used last, each with when it became idle. */
  #idle: Array<{ isolate: PluginIsolate; since: number }> = []
  #size = 0
  /** The busy isolates whose call waits on the host. */
  #hostWaiting = new Set<PluginIsolate>()
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
    this.#maxCalls = Math.max(this.#max, options.maxCalls ?? this.#max)
    this.#waitingMemoryBytes = options.waitingMemoryBytes ?? Number.POSITIVE_INFINITY
    this.#idleMs = options.idleMs ?? 0
    this.#now = options.now ?? Date.now
    if (warm) {
      this.#idle.push({ isolate: warm, since: this.#now() })
      this.#size = 1
    }
    if (this.#idleMs > 0 && this.#maxCalls > 1) {
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
    for (let waited = false; ; waited = true) {
      // At most `max` calls run code at once, whatever number of isolates the pool holds.
      if (this.#mayRun()) {
        let idle = this.#idle.pop()?.isolate
        while (idle?.disposed) {
          this.#size--
          idle = this.#idle.pop()?.isolate
        }
        if (idle) return this.#watch(idle)
        if (this.#mayStart()) {
          this.#size++
          try {
            return this.#watch(await this.#start())
          } catch (error) {
            this.#size--
            this.#wake()
            throw error
          }
        }
      }
      // Woken without room after all: wait again, first in line.
      await new Promise<void>((resolve) =>
        waited ? this.#waiters.unshift(resolve) : this.#waiters.push(resolve),
      )
    }
  }

  /** Whether a call may run now: fewer than `max` calls run code. */
  #mayRun(): boolean {
    const busy = this.#size - this.#idle.length
    return busy - this.#hostWaiting.size < this.#max
  }

  /**
   * Whether another isolate may start: under `max`, or under `maxCalls` beside waiting calls
   * whose isolates hold no more than `waitingMemoryBytes`.
   */
  #mayStart(): boolean {
    if (this.#size < this.#max) return true
    if (this.#size >= this.#maxCalls) return false
    if (this.#waitingMemoryBytes === Number.POSITIVE_INFINITY) return true
    let held = 0
    for (const isolate of this.#hostWaiting) {
      held += isolate.heapBytes()
      if (held > this.#waitingMemoryBytes) return false
    }
    return true
  }

  /** Follows whether the isolate's call waits on the host. */
  #watch(isolate: PluginIsolate): PluginIsolate {
    isolate.onHostWait = (waiting) => {
      if (!waiting) {
        this.#hostWaiting.delete(isolate)
        return
      }
      this.#hostWaiting.add(isolate)
      // Its isolate runs no code now: a call waiting for one may run.
      if (this.#mayRun()) this.#wake()
    }
    return isolate
  }

  #release(isolate: PluginIsolate): void {
    isolate.onHostWait = undefined
    this.#hostWaiting.delete(isolate)
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
