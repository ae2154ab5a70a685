import type { User } from '../auth/users.js'
import { ServerError } from '../errors.js'
import type { NodeState, Run, RunReader, StateMap } from './run-reader.js'

/** What a run's event stream sends: a snapshot first, then each change. */
export type RunEvent =
  | { event: 'snapshot'; data: { run: Run; states: StateMap } }
  | { event: 'node'; data: NodeState }
  | { event: 'run'; data: Run }

/** Settings of the run event streams. */
export interface RunEventsOptions {
  /** How often a watched run's states are read again, for changes made by other servers (1000). */
  pollMs?: number
  /**
   * How long after the engine reports a state change the run is read: the report comes from
   * inside the engine's transaction, before it commits (50).
   */
  settleMs?: number
  /** How many streams one user may hold open at once (8). */
  maxStreamsPerUser?: number
  onError?: (error: unknown, rootId: string) => void
}

interface Subscriber {
  send(event: RunEvent): void
  /** Ends the subscriber's stream (the server is closing). */
  end(): void
  /** Set once the subscriber has had its snapshot; changes before that are in the snapshot. */
  live: boolean
}

/** One watched run: its subscribers, the states last read, and the one loop that reads them. */
class RunWatch {
  readonly subscribers = new Set<Subscriber>()
  states: StateMap | null = null
  #chain: Promise<void> = Promise.resolve()
  #poll: ReturnType<typeof setInterval> | undefined
  #soon: ReturnType<typeof setTimeout> | undefined
  #late: ReturnType<typeof setTimeout> | undefined

  #reading = 0

  constructor(
    readonly rootId: string,
    readonly reader: RunReader,
    readonly options: Required<Omit<RunEventsOptions, 'onError'>> &
      Pick<RunEventsOptions, 'onError'>,
  ) {
    // A poll is skipped while a read is queued or running, so that a slow database never builds
    // a queue of reads.
    this.#poll = setInterval(() => {
      if (this.#reading === 0) void this.refresh()
    }, options.pollMs)
    this.#poll.unref?.()
  }

  /** Reads the run's states once more (after any read already queued) and sends the changes. */
  refresh(then?: () => Promise<void>): Promise<void> {
    this.#reading++
    this.#chain = this.#chain
      .then(async () => {
        await this.#read()
        if (then) await then()
      })
      .then(
        () => undefined,
        (error: unknown) => this.options.onError?.(error, this.rootId),
      )
      .finally(() => {
        this.#reading--
      })
    return this.#chain
  }

  /**
   * The engine reported a change of this run: read it a moment later, once the change has
   * committed, and again a little later for a commit that took longer (or reports that came
   * meanwhile).
   */
  poke(): void {
    this.#soon ??= this.#later(this.options.settleMs, () => {
      this.#soon = undefined
    })
    this.#late ??= this.#later(this.options.settleMs * 5, () => {
      this.#late = undefined
    })
  }

  #later(ms: number, done: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      done()
      void this.refresh()
    }, ms)
    timer.unref?.()
    return timer
  }

  async #read(): Promise<void> {
    const states = await this.reader.states(this.rootId)
    const before = this.states
    this.states = states
    if (!before) return
    const live = [...this.subscribers].filter((s) => s.live)
    for (const [id, state] of Object.entries(states)) {
      if (JSON.stringify(before[id]) === JSON.stringify(state)) continue
      for (const s of live) s.send({ event: 'node', data: state })
    }
    if (before[this.rootId]?.state !== states[this.rootId]?.state && live.length > 0) {
      const run = await this.reader.runById(this.rootId)
      if (run) for (const s of live) s.send({ event: 'run', data: run })
    }
  }

  stop(): void {
    clearInterval(this.#poll)
    clearTimeout(this.#soon)
    clearTimeout(this.#late)
  }
}

/**
 * The live state of runs for the console's event streams. Each watched run has one loop that
 * reads its states, whoever watches it: right after this server's engine changes it, and every
 * `pollMs` for changes made by another server on the same database. The loop stops with the last
 * stream.
 */
export class RunEvents {
  readonly #reader: RunReader
  readonly #options: Required<Omit<RunEventsOptions, 'onError'>> & Pick<RunEventsOptions, 'onError'>
  readonly #watches = new Map<string, RunWatch>()
  readonly #streams = new Map<number, number>()
  #closed = false

  constructor(reader: RunReader, options: RunEventsOptions = {}) {
    this.#reader = reader
    this.#options = {
      pollMs: options.pollMs ?? 1000,
      settleMs: options.settleMs ?? 50,
      maxStreamsPerUser: options.maxStreamsPerUser ?? 8,
      ...(options.onError ? { onError: options.onError } : {}),
    }
  }

  /** How many runs are being watched (for tests and metrics). */
  get watched(): number {
    return this.#watches.size
  }

  /** This server's engine changed a state of run `rootId`. */
  changed(rootId: string): void {
    this.#watches.get(rootId)?.poke()
  }

  /**
   * Starts sending run `rootId`'s events to `send`: the snapshot, then each change. Answers the
   * function that stops it. A user over their number of streams is refused (429).
   */
  async subscribe(
    user: User,
    rootId: string,
    stream: { send(event: RunEvent): void; end(): void },
  ): Promise<() => void> {
    if (this.#closed) throw new ServerError('UNAVAILABLE', 'the server is closing')
    const open = this.#streams.get(user.id) ?? 0
    if (open >= this.#options.maxStreamsPerUser) {
      throw new ServerError(
        'TOO_MANY_REQUESTS',
        `at most ${this.#options.maxStreamsPerUser} event streams per user; close one first`,
        { retryAfterSeconds: 5 },
      )
    }
    this.#streams.set(user.id, open + 1)
    let watch = this.#watches.get(rootId)
    if (!watch) {
      watch = new RunWatch(rootId, this.#reader, this.#options)
      this.#watches.set(rootId, watch)
    }
    const subscriber: Subscriber = { send: stream.send, end: stream.end, live: false }
    watch.subscribers.add(subscriber)
    let stopped = false
    const stop = () => {
      if (stopped) return
      stopped = true
      watch.subscribers.delete(subscriber)
      const left = (this.#streams.get(user.id) ?? 1) - 1
      if (left > 0) this.#streams.set(user.id, left)
      else this.#streams.delete(user.id)
      if (watch.subscribers.size === 0 && this.#watches.get(rootId) === watch) {
        watch.stop()
        this.#watches.delete(rootId)
      }
    }
    let failure: unknown
    await watch.refresh(async () => {
      if (stopped) return
      try {
        const run = await this.#reader.runById(rootId)
        if (!run) throw new ServerError('NOT_FOUND', `run ${rootId} does not exist`)
        stream.send({ event: 'snapshot', data: { run, states: watch.states ?? {} } })
        subscriber.live = true
      } catch (error) {
        failure = error
      }
    })
    if (!subscriber.live && !stopped) {
      stop()
      throw failure ?? new ServerError('UNAVAILABLE', `run ${rootId} could not be read; try again`)
    }
    return stop
  }

  /** Stops every loop and ends every stream (the server is closing). */
  close(): void {
    this.#closed = true
    for (const watch of [...this.#watches.values()]) {
      watch.stop()
      for (const subscriber of [...watch.subscribers]) subscriber.end()
    }
    this.#watches.clear()
  }
}
