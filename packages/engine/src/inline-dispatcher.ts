import { type Clock, systemClock } from './ports/clock.js'
import type { Dispatcher, StepHandler } from './ports/dispatcher.js'

type Task =
  | { kind: 'execute'; processId: string; nodeId: string }
  | { kind: 'schedule'; processId: string; nodeId: string; scheduleId: string }

/** Options of the in-process dispatcher. */
export interface InlineDispatcherOptions {
  /** How many steps may run at once (they interleave at each `await`). */
  concurrency?: number
  clock?: Clock
  /** Called with an error a step threw; such an error is a bug of the engine or the runtime. */
  onError?: (error: unknown, task: Task) => void
}

/**
 * Runs engine steps in this process: a queue drained by up to `concurrency` workers, and timers
 * (from the clock) for schedules due later.
 * @example
 * const dispatcher = new InlineDispatcher({ concurrency: 16 })
 * const engine = createEngine({ dispatcher })
 */
export class InlineDispatcher implements Dispatcher {
  readonly concurrency: number
  /** Errors thrown by steps, kept for inspection. */
  readonly errors: unknown[] = []
  #clock: Clock
  #onError: ((error: unknown, task: Task) => void) | undefined
  #handler: StepHandler | undefined
  #queue: Task[] = []
  #head = 0
  #running = 0
  #timers = new Set<unknown>()
  #idleWaiters: Array<() => void> = []
  #closed = false

  constructor(options: InlineDispatcherOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 8)
    this.#clock = options.clock ?? systemClock
    this.#onError = options.onError
  }

  /** Connects the dispatcher to the engine whose steps it runs. */
  bind(handler: StepHandler): void {
    this.#handler = handler
  }

  execute(processId: string, nodeId: string): void {
    this.#push({ kind: 'execute', processId, nodeId })
  }

  schedule(processId: string, nodeId: string, scheduleId: string, delayMs: number): void {
    const task: Task = { kind: 'schedule', processId, nodeId, scheduleId }
    if (delayMs <= 0) {
      this.#push(task)
      return
    }
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle)
      this.#push(task)
    }, delayMs)
    this.#timers.add(handle)
  }

  /** Resolves when no step is running or queued; timers due later do not count. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** How many schedules wait on a timer. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /** Stops: cancels the timers and drops queued steps. */
  close(): void {
    this.#closed = true
    for (const handle of this.#timers) this.#clock.clearTimeout(handle)
    this.#timers.clear()
    this.#queue = []
    this.#head = 0
    this.#settle()
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.#head >= this.#queue.length
  }

  #push(task: Task): void {
    if (this.#closed) return
    this.#queue.push(task)
    this.#pump()
  }

  #pump(): void {
    while (this.#running < this.concurrency && this.#head < this.#queue.length) {
      const task = this.#queue[this.#head++]!
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
      this.#running++
      void this.#run(task)
    }
  }

  async #run(task: Task): Promise<void> {
    try {
      const handler = this.#handler
      if (!handler) throw new TypeError('the dispatcher is not bound to an engine')
      if (task.kind === 'execute') await handler.execute(task.processId, task.nodeId)
      else await handler.schedule(task.processId, task.nodeId, task.scheduleId)
    } catch (error) {
      this.errors.push(error)
      this.#onError?.(error, task)
    } finally {
      this.#running--
      this.#pump()
      this.#settle()
    }
  }

  #settle(): void {
    if (!this.#isIdle()) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
