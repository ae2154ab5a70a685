/**
 * The globals a component finds in its isolate, and only those: a plugin whose build type-checks
 * against this file (`"types": ["@culm/sdk/globals"]`, no `@types/node`, `lib` without `DOM`)
 * cannot compile a call to something the sandbox does not give (`process`, `require`, `fetch`,
 * `setInterval`, `crypto.subtle`, ...). Each runs in the isolate; none is a host object.
 */

declare global {
  /** A WHATWG URL, parsed by the host (strings only cross; at most 2 MiB). */
  class URL {
    constructor(input: string | URL, base?: string | URL)
    static canParse(input: string | URL, base?: string | URL): boolean
    static parse(input: string | URL, base?: string | URL): URL | null
    href: string
    readonly origin: string
    protocol: string
    username: string
    password: string
    host: string
    hostname: string
    port: string
    pathname: string
    search: string
    readonly searchParams: URLSearchParams
    hash: string
    toString(): string
    toJSON(): string
  }

  class URLSearchParams implements Iterable<[string, string]> {
    constructor(
      init?: string | Record<string, string> | Iterable<[string, string]> | URLSearchParams,
    )
    readonly size: number
    append(name: string, value: string): void
    delete(name: string, value?: string): void
    get(name: string): string | null
    getAll(name: string): string[]
    has(name: string, value?: string): boolean
    set(name: string, value: string): void
    sort(): void
    forEach(
      fn: (value: string, key: string, params: URLSearchParams) => void,
      thisArg?: unknown,
    ): void
    entries(): IterableIterator<[string, string]>
    keys(): IterableIterator<string>
    values(): IterableIterator<string>
    [Symbol.iterator](): IterableIterator<[string, string]>
    toString(): string
  }

  /** UTF-8 only. */
  class TextEncoder {
    readonly encoding: string
    encode(text?: string): Uint8Array
    encodeInto(text: string, into: Uint8Array): { read: number; written: number }
  }

  /** UTF-8 only. */
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean })
    readonly encoding: string
    readonly fatal: boolean
    readonly ignoreBOM: boolean
    decode(input?: ArrayBuffer | ArrayBufferView): string
  }

  interface AbortEvent {
    type: string
    target: unknown
  }

  class AbortSignal {
    static abort(reason?: unknown): AbortSignal
    static any(signals: AbortSignal[]): AbortSignal
    /** Aborts after `ms`, within the call's time limit. */
    static timeout(ms: number): AbortSignal
    readonly aborted: boolean
    readonly reason: unknown
    onabort: ((event: AbortEvent) => void) | null
    throwIfAborted(): void
    addEventListener(
      type: 'abort',
      listener: (event: AbortEvent) => void,
      options?: { once?: boolean } | boolean,
    ): void
    removeEventListener(type: 'abort', listener: (event: AbortEvent) => void): void
  }

  class AbortController {
    readonly signal: AbortSignal
    abort(reason?: unknown): void
  }

  /** A deep copy of plain data (objects, arrays, dates, maps, sets, typed arrays). */
  function structuredClone<T>(value: T): T
  function atob(data: string): string
  function btoa(data: string): string

  /** Random bytes from the host. */
  const crypto: {
    randomUUID(): `${string}-${string}-${string}-${string}-${string}`
    getRandomValues<T extends ArrayBufferView>(array: T): T
  }

  /** Timers end with the call that set them; at most 1000 pending per call. */
  function setTimeout(
    callback: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ): number
  function clearTimeout(id: number | undefined): void
  function queueMicrotask(callback: () => void): void

  /** Lines go to the plugin's log at their level (`log` is `info`). */
  const console: {
    log(...data: unknown[]): void
    info(...data: unknown[]): void
    debug(...data: unknown[]): void
    warn(...data: unknown[]): void
    error(...data: unknown[]): void
  }
}

export {}
