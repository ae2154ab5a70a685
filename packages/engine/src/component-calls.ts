import type { Clock } from './ports/clock.js'
import type {
  ComponentCallInput,
  ComponentCallResult,
  ComponentRef,
  ComponentRunner,
} from './ports/components.js'
import type { Dispatcher } from './ports/dispatcher.js'
import type { EngineHooks } from './ports/hooks.js'

/** Work to do once a step's transaction has committed. */
export type AfterCommit = Array<() => void | Promise<void>>

/**
 * How long a component may take before the step commits what it did so far (the node RUNNING,
 * visible and controllable) and hands the answer to a new step; a faster one costs no commit.
 */
export const FAST_CALL_MS = 20

/** A component call the engine made: running, or answered and not yet committed. */
export interface ComponentCall {
  key: string
  phase: 'execute' | 'schedule'
  nodeId: string
  version: string
  rootPipelineId: string
  processId: string
  scheduleId: string | undefined
  callbackId: string | undefined
  callbackData: unknown
  scheduleTimes: number
  answer: ComponentCallResult | undefined
  answered: Promise<ComponentCallResult>
  abort: AbortController
  /** Left running past the commit of the step that started it. */
  detached: boolean
  /** Its continuation is set up. */
  continued: boolean
}

/** What a component call needs beyond its input. */
export interface CallExtra {
  processId: string
  scheduleId?: string
  callbackId?: string
}

/** Whether a call's outcome is the running call rather than its answer. */
export function isCall(value: ComponentCallResult | ComponentCall): value is ComponentCall {
  return 'answered' in value
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The component calls of an engine: each is made once per step attempt chain (an answer is held
 * until its step commits, so a rolled-back step never calls again), raced against
 * `FAST_CALL_MS`, and when slower handed on to a step of its own, or discarded (and aborted)
 * when its node moves on.
 */
export class ComponentCalls {
  readonly #deps: {
    components: ComponentRunner
    clock: Clock
    dispatcher: Dispatcher
    hooks: EngineHooks
  }

  constructor(deps: {
    components: ComponentRunner
    clock: Clock
    dispatcher: Dispatcher
    hooks: EngineHooks
  }) {
    this.#deps = deps
  }

  /** Component calls by call key: running, or answered and not yet committed. */
  #calls = new Map<string, ComponentCall>()
  /** The call keys each running step used, dropped when it commits or fails for good. */
  #stepKeys = new WeakMap<AfterCommit, string[]>()

  /** Starts counting the calls a step makes. */
  begin(after: AfterCommit): void {
    this.#stepKeys.set(after, [])
  }

  /** The step committed (or failed for good): its answered calls are written down, drop them. */
  end(after: AfterCommit): void {
    this.#dropCalls(this.#stepKeys.get(after) ?? [])
  }

  /** Drops the answered calls of a node (a step that failed is about to fail it). */
  forgetAnswered(nodeId: string): void {
    for (const call of [...this.#calls.values()]) {
      if (call.nodeId === nodeId && call.answer) this.#calls.delete(call.key)
    }
  }

  /** Discards the calls of a node at a version and phase: the node moved on meanwhile. */
  discardAt(nodeId: string, phase: 'execute' | 'schedule', version: string, reason: string): void {
    for (const call of [...this.#calls.values()]) {
      if (call.nodeId === nodeId && call.phase === phase && call.version === version)
        this.discard(call, reason)
    }
  }

  #dropCalls(keys: string[]): void {
    for (const key of keys) {
      const call = this.#calls.get(key)
      // A call left running past its step's commit belongs to the step that takes its answer.
      if (call && !call.detached) this.#calls.delete(key)
    }
  }

  /** How many component calls run past the step that started them. */
  get runningCalls(): number {
    let running = 0
    for (const call of this.#calls.values()) if (!call.answer) running++
    return running
  }

  /** Resolves when one of the calls running past their steps answers (at once if none runs). */
  async someCallAnswered(): Promise<void> {
    const running = [...this.#calls.values()].filter((call) => !call.answer)
    if (running.length > 0) await Promise.race(running.map((call) => call.answered))
  }

  /**
   * Calls a component outside of any wait for the storage: answers its result when it comes
   * within `FAST_CALL_MS` (or was held from a rolled-back attempt), else the running call, which
   * the caller hands on with `continueWhenAnswered` after committing what its step did so far.
   */
  async callComponent(
    after: AfterCommit,
    ref: ComponentRef,
    phase: 'execute' | 'schedule',
    input: ComponentCallInput,
    extra: CallExtra,
  ): Promise<ComponentCallResult | ComponentCall> {
    // Not keyed on the version: a rolled-back attempt may have drawn a version the retry redraws.
    const key = `${input.nodeId}|${input.loop}|${input.innerLoop}|${phase}|${input.scheduleTimes}|${extra.callbackId ?? ''}`
    this.#stepKeys.get(after)?.push(key)
    let call = this.#calls.get(key)
    if (!call) {
      call = this.#startCall(key, ref, phase, input, extra)
      this.#calls.set(key, call)
    }
    if (call.answer) {
      call.detached = false
      return call.answer
    }
    const answer = await this.#briefly(call.answered)
    if (answer) {
      call.detached = false
      return answer
    }
    call.detached = true
    return call
  }

  #startCall(
    key: string,
    ref: ComponentRef,
    phase: 'execute' | 'schedule',
    input: ComponentCallInput,
    extra: CallExtra,
  ): ComponentCall {
    const abort = new AbortController()
    const call: ComponentCall = {
      key,
      phase,
      nodeId: input.nodeId,
      version: input.version,
      rootPipelineId: input.rootPipelineId,
      processId: extra.processId,
      scheduleId: extra.scheduleId,
      callbackId: extra.callbackId,
      callbackData: input.callbackData,
      scheduleTimes: input.scheduleTimes,
      answer: undefined,
      answered: undefined as unknown as Promise<ComponentCallResult>,
      abort,
      detached: false,
      continued: false,
    }
    call.answered = this.#deps.components
      .run(ref, phase, input, { signal: abort.signal })
      .catch(
        (error: unknown): ComponentCallResult => ({
          success: false,
          outputs: {},
          finished: false,
          error: `component ${ref.code} ${ref.version} failed: ${errorText(error)}`,
        }),
      )
      .then((answer) => {
        call.answer = answer
        return answer
      })
    return call
  }

  /** The promise's value if it settles within `FAST_CALL_MS` on the clock, else undefined. */
  #briefly<T>(promise: Promise<T>): Promise<T | undefined> {
    const { clock } = this.#deps
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(undefined), FAST_CALL_MS)
      void promise.then((value) => {
        clock.clearTimeout(timer)
        resolve(value)
      })
    })
  }

  /**
   * After the commit, hands a call left running to a new step when it answers: `execute` at its
   * node, or the schedule it belongs to.
   */
  continueWhenAnswered(after: AfterCommit, call: ComponentCall): void {
    after.push(() => {
      if (call.continued) return
      call.continued = true
      void call.answered.then(async () => {
        if (this.#calls.get(call.key) !== call) return
        const { dispatcher } = this.#deps
        if (call.scheduleId)
          await dispatcher.schedule(call.processId, call.nodeId, call.scheduleId, 0)
        else await dispatcher.execute(call.processId, call.nodeId)
      })
    })
  }

  /** Whether a call of the process runs, or has answered and waits for its step. */
  hasCallOf(processId: string): boolean {
    for (const call of this.#calls.values()) if (call.processId === processId) return true
    return false
  }

  /** The call of a node's component that runs (or has answered) past its step, if any. */
  pendingCall(
    nodeId: string,
    phase: 'execute' | 'schedule',
    scheduleId?: string,
  ): ComponentCall | undefined {
    for (const call of this.#calls.values()) {
      if (call.nodeId !== nodeId || call.phase !== phase || !call.detached) continue
      if (phase === 'schedule' && call.scheduleId !== scheduleId) continue
      return call
    }
    return undefined
  }

  /**
   * Gives up the calls of a node (or of every node of a root pipeline): each is asked to stop and
   * its answer, if one comes, is never written.
   */
  discardCalls(where: { nodeId?: string; rootPipelineId?: string }, reason: string): void {
    for (const call of [...this.#calls.values()]) {
      if (where.nodeId !== undefined && call.nodeId !== where.nodeId) continue
      if (where.rootPipelineId !== undefined && call.rootPipelineId !== where.rootPipelineId)
        continue
      this.discard(call, reason)
    }
  }

  /** Gives one call up: it is asked to stop, and its answer, if one comes, is never written. */
  discard(call: ComponentCall, reason: string): void {
    if (this.#calls.get(call.key) === call) this.#calls.delete(call.key)
    if (!call.answer) call.abort.abort(reason)
    this.#deps.hooks.componentResultDiscarded?.({
      nodeId: call.nodeId,
      version: call.version,
      phase: call.phase,
      reason,
    })
  }
}
