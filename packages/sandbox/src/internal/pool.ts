import type { PluginIsolate } from './isolate.js'

/**
 * The isolates of one plugin: reused across calls, one call at a time each, at most `max` of
 * them; a disposed isolate (memory or time limit) is dropped and a new one started on demand.
 */
export class IsolatePool {
  readonly #start: () => Promise<PluginIsolate>
  readonly #max: number
  #idle: PluginIsolate[] = []
  #size = 0
  #waiters: Array<() => void> = []
  #closed = false

  constructor(start: () => Promise<PluginIsolate>, max: number, warm?: PluginIsolate) {
    this.#start = start
    this.#max = Math.max(1, max)
    if (warm) {
      this.#idle.push(warm)
      this.#size = 1
    }
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
      const idle = this.#idle.pop()
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
      this.#idle.push(isolate)
    }
    this.#wake()
  }

  #wake(): void {
    this.#waiters.shift()?.()
  }

  /** Disposes every idle isolate; busy ones are disposed when their call ends. */
  close(): void {
    this.#closed = true
    for (const isolate of this.#idle) isolate.dispose()
    this.#size -= this.#idle.length
    this.#idle = []
  }
}
