import { randomBytes } from 'node:crypto'
import ivm from 'isolated-vm'
import { PluginCallError } from '../errors.js'
import type { LogTags } from './bridge.js'

/** What the host grants an isolate; every argument arrives as a copy and is checked here. */
export interface HostBridge {
  log(level: string, message: string, fieldsJson: string | undefined, tags?: LogTags): void
  /** Answers the response as JSON text. */
  fetch(url: string, initJson: string | undefined): Promise<string>
  sleep(seconds: number): Promise<void>
}

/** A plugin's bundle, compiled once and shared by its isolates through V8's code cache. */
export interface PluginScript {
  plugin: string
  code: string
  cachedData?: ivm.ExternalCopy<ArrayBuffer>
}

/** Settings of one isolate. */
export interface IsolateSettings {
  memoryLimitMb: number
  secrets: Record<string, string>
  maxResultBytes: number
  /** Log lines one call may write; more are counted, dropped and reported when it ends. */
  maxLogLinesPerCall: number
  /** Log bytes one call may write. */
  maxLogBytesPerCall: number
  /** The clock the isolate's `Date` reads, in ms (a test's fake clock); the machine's if absent. */
  now?: (() => number) | undefined
}

/** Limits of one call: execution time inside the isolate and wall time including host calls. */
export interface CallLimits {
  cpuMs: number
  wallMs: number
  /** Ends the call when aborted: the isolate is disposed, as over a limit. */
  signal?: AbortSignal | undefined
  /** The call's component, pipeline and node, written on each of its log lines. */
  tags?: LogTags | undefined
}

type GuestFunction = 'describe' | 'call' | 'lazy'

interface Deadline {
  at: number
  expire(): void
}

/**
 * One timer for the wall-time limits of every call in flight (a timer per call costs more than
 * the rest of a warm call); it runs only while calls are in flight.
 */
const deadlines = new Set<Deadline>()
let watchdog: NodeJS.Timeout | undefined

function watch(deadline: Deadline): void {
  deadlines.add(deadline)
  watchdog ??= setInterval(() => {
    const now = Date.now()
    for (const entry of deadlines) {
      if (entry.at <= now) {
        deadlines.delete(entry)
        entry.expire()
      }
    }
    if (deadlines.size === 0) {
      clearInterval(watchdog)
      watchdog = undefined
    }
  }, 25)
  watchdog.unref()
}

/**
 * A host promise as a JSON envelope that never rejects: a rejection crossing into the isolate
 * would also surface as an unhandled rejection in the host.
 */
async function settle(promise: Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify({ ok: true, value: (await promise) ?? null })
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    return JSON.stringify({
      ok: false,
      code: typeof code === 'string' ? code : 'HOST_ERROR',
      error: error instanceof Error ? error.message : String(error),
    })
  }
}

const ANSWER = { result: { promise: true, copy: true }, arguments: { copy: true } } as const

/** The plugin's guest in one fresh context: its functions, and the context to release. */
interface Guest {
  context: ivm.Context
  functions: Record<GuestFunction, ivm.Reference<(payload: string) => string>>
  /** Ends the call's timers and log: reports what the log dropped, frees their references. */
  closeLog(): void
  /** Names the call on its log lines. */
  tag(tags: LogTags | undefined): void
}

/**
 * The host operations (fetch, sleep, timers) the current call of an isolate waits on: while there
 * is one, the isolate is most likely idle, and its pool may start another beside it.
 */
class HostWaits {
  #pending = 0
  /** Counts the calls: an operation of an ended call no longer counts when it settles. */
  #call = 0
  /** Told when the call starts waiting on the host (true) and when it stops (false). */
  onChange: ((waiting: boolean) => void) | undefined

  track<T>(promise: Promise<T>): Promise<T> {
    const call = this.#call
    if (this.#pending++ === 0) this.onChange?.(true)
    return promise.finally(() => {
      if (call === this.#call && --this.#pending === 0) this.onChange?.(false)
    })
  }

  /** The call ended: what it still waited on (a cleared timer) no longer counts. */
  reset(): void {
    this.#call++
    if (this.#pending === 0) return
    this.#pending = 0
    this.onChange?.(false)
  }
}

/** What the host hands every context of an isolate. */
interface HostParts {
  waits: HostWaits
  settings: ivm.ExternalCopy<{ secrets: Record<string, string>; maxResultBytes: number }>
  bridge: HostBridge
  limits: { lines: number; bytes: number }
  fetch: ivm.Reference<unknown>
  sleep: ivm.Reference<unknown>
  url: ivm.Reference<unknown>
  urlSet: ivm.Reference<unknown>
  random: ivm.Reference<unknown>
  now: ivm.Reference<unknown> | undefined
}

const URL_PARTS = [
  'href',
  'origin',
  'protocol',
  'username',
  'password',
  'host',
  'hostname',
  'port',
  'pathname',
  'search',
  'hash',
] as const
const URL_SETTABLE = new Set<string>(URL_PARTS.filter((p) => p !== 'origin'))

/** The longest URL the host parses, in characters (as Chrome's limit). */
const MAX_URL_CHARS = 2 * 1024 * 1024

/** The parts of a parsed URL as JSON text (strings only), or `{ error }`. */
function urlParts(make: () => URL, ...texts: unknown[]): string {
  try {
    if (texts.some((text) => typeof text === 'string' && text.length > MAX_URL_CHARS)) {
      return JSON.stringify({ error: `a URL is limited to ${MAX_URL_CHARS} characters` })
    }
    const url = make()
    return JSON.stringify(Object.fromEntries(URL_PARTS.map((part) => [part, url[part]])))
  } catch (error) {
    return JSON.stringify({ error: error instanceof Error ? error.message : String(error) })
  }
}

const MAX_RANDOM_BYTES = 65_536
/** Timers one call may have pending: each holds a host timer until it fires or the call ends. */
export const MAX_TIMERS_PER_CALL = 1000

/**
 * The timers of one call: each resolves after its delay, and all are cleared when the call
 * ends, so that no timer outlives its call.
 */
function callTimers(waits: HostWaits): { reference: ivm.Reference<unknown>; close(): void } {
  const pending = new Set<NodeJS.Timeout>()
  const reference = new ivm.Reference((ms: unknown) => {
    if (pending.size >= MAX_TIMERS_PER_CALL) {
      return Promise.resolve(
        JSON.stringify({
          ok: false,
          code: 'TIMER_LIMIT',
          error: `a call may have at most ${MAX_TIMERS_PER_CALL} timers pending`,
        }),
      )
    }
    return waits.track(
      new Promise<string>((resolve) => {
        const handle = setTimeout(
          () => {
            pending.delete(handle)
            resolve('{"ok":true,"value":null}')
          },
          Math.min(Math.max(0, Number(ms) || 0), 2_147_483_647),
        )
        handle.unref()
        pending.add(handle)
      }),
    )
  })
  return {
    reference,
    close() {
      for (const handle of pending) clearTimeout(handle)
      pending.clear()
      reference.release()
    },
  }
}

/** The log of one call: the bridge's, up to the call's limits; what is over is counted. */
function callLog(
  plugin: string,
  host: HostParts,
): { reference: ivm.Reference<unknown>; close(): void; tag(tags: LogTags | undefined): void } {
  let lines = 0
  let tagged: LogTags | undefined
  let bytes = 0
  let dropped = 0
  const reference = new ivm.Reference((level: unknown, message: unknown, fields: unknown) => {
    const text = String(message)
    const json = typeof fields === 'string' ? fields : undefined
    const size = Buffer.byteLength(text) + (json ? Buffer.byteLength(json) : 0)
    if (lines + 1 > host.limits.lines || bytes + size > host.limits.bytes) {
      dropped++
      return
    }
    lines++
    bytes += size
    host.bridge.log(String(level), text, json, tagged)
  })
  return {
    reference,
    tag(tags) {
      tagged = tags
    },
    close() {
      reference.release()
      if (dropped > 0) {
        host.bridge.log(
          'warn',
          `${dropped} log lines of one call of plugin ${plugin} were dropped: over its limit of ${host.limits.lines} lines or ${host.limits.bytes} bytes a call`,
          undefined,
          tagged,
        )
      }
    },
  }
}

/**
 * One isolated-vm isolate running one plugin's bundle. The only module that imports isolated-vm,
 * so that a new major is a change of this file.
 *
 * Every call runs in a context of its own: the bundle (compiled once per isolate) is run in a new
 * context before the call, and the context is released after it, so nothing a call leaves in its
 * globals (a replaced `Function` or `JSON`, data kept in a global) reaches a later call of any
 * tenant. The context of the next call is made ahead, while the isolate is idle.
 */
export class PluginIsolate {
  readonly plugin: string
  readonly #isolate: ivm.Isolate
  readonly #script: ivm.Script
  readonly #host: HostParts
  readonly #memoryLimitMb: number
  #next: Promise<Guest> | undefined
  #disposedBy: string | undefined

  private constructor(
    plugin: string,
    isolate: ivm.Isolate,
    script: ivm.Script,
    host: HostParts,
    memoryLimitMb: number,
  ) {
    this.plugin = plugin
    this.#isolate = isolate
    this.#script = script
    this.#host = host
    this.#memoryLimitMb = memoryLimitMb
  }

  /** Starts an isolate, compiles the plugin's bundle in it and makes the first call's context. */
  static async start(
    script: PluginScript,
    bridge: HostBridge,
    settings: IsolateSettings,
  ): Promise<PluginIsolate> {
    const isolate = new ivm.Isolate({ memoryLimit: settings.memoryLimitMb })
    try {
      const waits = new HostWaits()
      const host: HostParts = {
        waits,
        settings: new ivm.ExternalCopy({
          secrets: settings.secrets,
          maxResultBytes: settings.maxResultBytes,
        }),
        bridge,
        limits: { lines: settings.maxLogLinesPerCall, bytes: settings.maxLogBytesPerCall },
        fetch: new ivm.Reference((url: unknown, init: unknown) =>
          settle(
            waits.track(bridge.fetch(String(url), typeof init === 'string' ? init : undefined)),
          ),
        ),
        sleep: new ivm.Reference((seconds: unknown) =>
          settle(waits.track(bridge.sleep(Number(seconds) || 0))),
        ),
        url: new ivm.Reference((input: unknown, base: unknown) =>
          urlParts(
            () => new URL(String(input), base === undefined ? undefined : String(base)),
            input,
            base,
          ),
        ),
        urlSet: new ivm.Reference((href: unknown, part: unknown, value: unknown) =>
          urlParts(() => {
            const url = new URL(String(href))
            const name = String(part)
            if (URL_SETTABLE.has(name)) {
              ;(url as unknown as Record<string, string>)[name] = String(value)
            }
            return url
          }, value),
        ),
        now: settings.now ? new ivm.Reference(settings.now) : undefined,
        random: new ivm.Reference((n: unknown) => {
          const size = Math.min(Math.max(0, Math.floor(Number(n) || 0)), MAX_RANDOM_BYTES)
          return [...randomBytes(size)]
        }),
      }
      const compiled: ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> } =
        await isolate.compileScript(script.code, {
          filename: `file:///${script.plugin}.js`,
          ...(script.cachedData ? { cachedData: script.cachedData } : { produceCachedData: true }),
        })
      if (!script.cachedData && compiled.cachedData) script.cachedData = compiled.cachedData
      const started = new PluginIsolate(
        script.plugin,
        isolate,
        compiled,
        host,
        settings.memoryLimitMb,
      )
      started.#next = started.#prepare()
      await started.#next
      return started
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose()
      if (error instanceof PluginCallError) throw error
      throw new PluginCallError(
        script.plugin,
        `plugin ${script.plugin} failed to start: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      )
    }
  }

  /** A new context with the host's bridge and the plugin's bundle run in it. */
  async #prepare(): Promise<Guest> {
    // The small steps run synchronously (each is a few microseconds, and an await each would
    // cost more); the plugin's own code runs asynchronously, under its time limit.
    const context = this.#isolate.createContextSync()
    let log: ReturnType<typeof callLog> | undefined
    let timers: ReturnType<typeof callTimers> | undefined
    try {
      const host = this.#host
      const global = context.global
      global.setSync('__culmHost', host.settings.copyInto())
      const hostRef = global.getSync('__culmHost', { reference: true })
      log = callLog(this.plugin, host)
      hostRef.setSync('log', log.reference)
      hostRef.setSync('fetch', host.fetch)
      hostRef.setSync('sleep', host.sleep)
      hostRef.setSync('url', host.url)
      hostRef.setSync('urlSet', host.urlSet)
      hostRef.setSync('random', host.random)
      if (host.now) hostRef.setSync('now', host.now)
      timers = callTimers(host.waits)
      hostRef.setSync('timer', timers.reference)
      hostRef.release()
      await this.#script.run(context, { timeout: 5000 })
      const guest = global.getSync('__culmGuest', { reference: true })
      if (guest.typeof !== 'object') {
        throw new PluginCallError(this.plugin, `plugin ${this.plugin} did not start its guest`)
      }
      const functions = {
        describe: guest.getSync('describe', { reference: true }),
        call: guest.getSync('call', { reference: true }),
        lazy: guest.getSync('lazy', { reference: true }),
      } as Record<GuestFunction, ivm.Reference<(payload: string) => string>>
      global.deleteSync('__culmGuest')
      guest.release()
      const callLogClose = log.close
      const closeTimers = timers.close
      return {
        context,
        functions,
        tag: log.tag,
        closeLog: () => {
          closeTimers()
          callLogClose()
        },
      }
    } catch (error) {
      log?.close()
      timers?.close()
      context.release()
      throw error
    }
  }

  /** The context made ahead for this call (or a new one), and the next one begun. */
  async #take(): Promise<Guest> {
    const ready = this.#next ?? this.#prepare()
    this.#next = undefined
    return ready
  }

  #release(guest: Guest): void {
    for (const reference of Object.values(guest.functions)) reference.release()
    guest.closeLog()
    this.#host.waits.reset()
    guest.context.release()
    if (this.#isolate.isDisposed || this.#next) return
    const next = this.#prepare()
    // A failure is met (and reported) by the call that takes this context.
    next.catch(() => {})
    this.#next = next
  }

  /** The memory the isolate holds now, in bytes (its heap and what counts against its limit). */
  heapBytes(): number {
    if (this.#isolate.isDisposed) return 0
    try {
      const stats = this.#isolate.getHeapStatisticsSync()
      return stats.total_heap_size + stats.externally_allocated_size
    } catch {
      return 0
    }
  }

  /** Told when the running call starts (true) and stops (false) waiting on the host. */
  set onHostWait(listener: ((waiting: boolean) => void) | undefined) {
    this.#host.waits.onChange = listener
  }

  /** Whether the isolate is gone (memory limit, time limit, or closed). */
  get disposed(): boolean {
    return this.#isolate.isDisposed
  }

  /**
   * Calls a guest function with a JSON payload and answers its JSON text. A call over its limits
   * disposes the isolate (its state may be broken) and rejects with a message naming the limit.
   */
  async invoke(fn: GuestFunction, payload: string, limits: CallLimits): Promise<string> {
    if (this.#isolate.isDisposed) {
      throw new PluginCallError(this.plugin, `the isolate of plugin ${this.plugin} is disposed`)
    }
    const deadline: Deadline = {
      at: Date.now() + limits.wallMs,
      // Disposing the isolate ends the call: its apply rejects, and #failure names the limit.
      expire: () => this.#dispose('wall'),
    }
    watch(deadline)
    const stop = () => this.#dispose('aborted')
    if (limits.signal?.aborted) stop()
    limits.signal?.addEventListener('abort', stop, { once: true })
    let guest: Guest | undefined
    try {
      guest = await this.#take()
      guest.tag(limits.tags)
      const answer: unknown = await guest.functions[fn].apply(undefined, [payload], {
        ...ANSWER,
        timeout: limits.cpuMs,
      })
      if (typeof answer !== 'string') {
        // Its guest no longer speaks the protocol: the isolate's state cannot be trusted.
        this.#dispose('protocol')
        throw new PluginCallError(
          this.plugin,
          `plugin ${this.plugin} answered a non-JSON value; its isolate was disposed`,
        )
      }
      return answer
    } catch (error) {
      throw this.#failure(error, limits)
    } finally {
      deadlines.delete(deadline)
      limits.signal?.removeEventListener('abort', stop)
      if (guest && !this.#isolate.isDisposed) this.#release(guest)
    }
  }

  #failure(error: unknown, limits: CallLimits): PluginCallError {
    if (error instanceof PluginCallError) return error
    const message = error instanceof Error ? error.message : String(error)
    if (this.#disposedBy === 'aborted') {
      return new PluginCallError(
        this.plugin,
        `the call of plugin ${this.plugin} was stopped: its node no longer waits for it`,
        { cause: error },
      )
    }
    if (this.#disposedBy === 'wall') {
      return new PluginCallError(
        this.plugin,
        `plugin ${this.plugin} did not answer within its timeout of ${limits.wallMs / 1000} s`,
        { cause: error },
      )
    }
    if (/memory limit/i.test(message) || (this.#isolate.isDisposed && !this.#disposedBy)) {
      this.#dispose('memory')
      return new PluginCallError(
        this.plugin,
        `plugin ${this.plugin} went over its memory limit of ${this.#memoryLimitMb} MB; its isolate was disposed`,
        { cause: error },
      )
    }
    if (/timed out/i.test(message)) {
      this.#dispose('cpu')
      return new PluginCallError(
        this.plugin,
        `plugin ${this.plugin} ran longer than its CPU time limit of ${limits.cpuMs} ms; its isolate was disposed`,
        { cause: error },
      )
    }
    if (/could not be cloned|non-transferable|#<.*>/.test(message)) {
      return new PluginCallError(
        this.plugin,
        `plugin ${this.plugin} answered a non-JSON value (${message})`,
        { cause: error },
      )
    }
    this.#dispose('crash')
    return new PluginCallError(this.plugin, `plugin ${this.plugin} failed: ${message}`, {
      cause: error,
    })
  }

  #dispose(reason: string): void {
    this.#disposedBy ??= reason
    if (!this.#isolate.isDisposed) this.#isolate.dispose()
  }

  /** Frees the isolate and everything in it. */
  dispose(): void {
    this.#dispose('closed')
  }
}
