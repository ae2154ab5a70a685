// This module runs inside the isolate, bundled with the plugin: it installs the web-standard
// globals plugins expect. Everything here is guest code; the host answers only with copies
// (strings, numbers, arrays of numbers), so no host object reaches the plugin.

/** The host functions the globals use, as the guest holds them. */
export interface GlobalsHost {
  /** `(input, base)` → JSON of the parts of `new URL(input, base)`, or `{ error }`. */
  url(input: string, base: string | undefined): string
  /** `(href, part, value)` → JSON of the parts after `url[part] = value`. */
  urlSet(href: string, part: string, value: string): string
  /** `n` random bytes from the host's CSPRNG. */
  random(n: number): number[]
  /** Resolves after `ms` (at most until the call ends). */
  timer(ms: number): Promise<void>
  log(level: string, message: string): void
  /** The clock `Date` reads instead of the machine's (a test's fake clock). */
  now?: () => number
}

type Scope = Record<string, unknown>

/** Timers a call may have pending; the host enforces the same bound. */
const MAX_TIMERS = 1000

interface UrlParts {
  href: string
  origin: string
  protocol: string
  username: string
  password: string
  host: string
  hostname: string
  port: string
  pathname: string
  search: string
  hash: string
}

function parseUrl(text: string): UrlParts {
  const parts = JSON.parse(text) as UrlParts & { error?: string }
  if (parts.error !== undefined) throw new TypeError(parts.error)
  return parts
}

const FORM_SAFE = /[A-Za-z0-9*\-._]/

function formEncode(value: string): string {
  let out = ''
  for (const char of value) {
    if (char === ' ') out += '+'
    else if (FORM_SAFE.test(char)) out += char
    else
      out += encodeURIComponent(char).replace(
        /[!'()~]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      )
  }
  return out
}

function formDecode(value: string): string {
  const text = value.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(text)
  } catch {
    return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    )
  }
}

type ParamsInit = string | Array<[string, string]> | Record<string, string> | URLSearchParamsLike

interface URLSearchParamsLike {
  entries(): IterableIterator<[string, string]>
}

class SearchParams {
  #list: Array<[string, string]> = []
  #onChange: ((search: string) => void) | undefined

  constructor(init: ParamsInit = '') {
    if (typeof init === 'string') this.#parse(init)
    else if (init instanceof SearchParams) this.#list = [...init.#list]
    else if (Array.isArray(init)) {
      for (const pair of init) {
        if (pair.length !== 2) throw new TypeError('URLSearchParams: each pair must have 2 items')
        this.#list.push([String(pair[0]), String(pair[1])])
      }
    } else if (init && typeof init === 'object') {
      for (const [key, value] of Object.entries(init)) this.#list.push([key, String(value)])
    }
  }

  #parse(text: string): void {
    this.#list = []
    const query = text.startsWith('?') ? text.slice(1) : text
    for (const piece of query.split('&')) {
      if (piece === '') continue
      const at = piece.indexOf('=')
      const key = at < 0 ? piece : piece.slice(0, at)
      const value = at < 0 ? '' : piece.slice(at + 1)
      this.#list.push([formDecode(key), formDecode(value)])
    }
  }

  /** Binds the params to a URL: a change rewrites its search. */
  static bind(params: SearchParams, search: string, onChange: (search: string) => void): void {
    params.#parse(search)
    params.#onChange = onChange
  }

  static reparse(params: SearchParams, search: string): void {
    params.#parse(search)
  }

  #changed(): void {
    this.#onChange?.(this.toString())
  }

  get size(): number {
    return this.#list.length
  }
  append(name: string, value: string): void {
    this.#list.push([String(name), String(value)])
    this.#changed()
  }
  delete(name: string, value?: string): void {
    this.#list = this.#list.filter(
      ([k, v]) => k !== String(name) || (value !== undefined && v !== String(value)),
    )
    this.#changed()
  }
  get(name: string): string | null {
    return this.#list.find(([k]) => k === String(name))?.[1] ?? null
  }
  getAll(name: string): string[] {
    return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v)
  }
  has(name: string, value?: string): boolean {
    return this.#list.some(
      ([k, v]) => k === String(name) && (value === undefined || v === String(value)),
    )
  }
  set(name: string, value: string): void {
    const key = String(name)
    const at = this.#list.findIndex(([k]) => k === key)
    if (at < 0) this.#list.push([key, String(value)])
    else {
      this.#list[at] = [key, String(value)]
      this.#list = this.#list.filter(([k], i) => k !== key || i <= at)
    }
    this.#changed()
  }
  sort(): void {
    this.#list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    this.#changed()
  }
  forEach(fn: (value: string, key: string, params: SearchParams) => void, thisArg?: unknown): void {
    for (const [k, v] of [...this.#list]) fn.call(thisArg, v, k, this)
  }
  *keys(): IterableIterator<string> {
    for (const [k] of [...this.#list]) yield k
  }
  *values(): IterableIterator<string> {
    for (const [, v] of [...this.#list]) yield v
  }
  *entries(): IterableIterator<[string, string]> {
    for (const [k, v] of [...this.#list]) yield [k, v]
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()
  }
  toString(): string {
    return this.#list.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&')
  }
  get [Symbol.toStringTag](): string {
    return 'URLSearchParams'
  }
}

function makeUrl(host: GlobalsHost) {
  const SETTABLE = [
    'href',
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

  class Url {
    #parts: UrlParts
    #params: SearchParams

    constructor(input: string | Url, base?: string | Url) {
      this.#parts = parseUrl(host.url(String(input), base === undefined ? undefined : String(base)))
      this.#params = new SearchParams()
      SearchParams.bind(this.#params, this.#parts.search, (search) => {
        this.#set('search', search)
        // An empty query leaves no '?' in the href, as the standard says.
        if (search === '') this.#set('href', this.#parts.href.replace(/\?(?=#|$)/, ''))
      })
    }

    #set(part: string, value: string): void {
      this.#parts = parseUrl(host.urlSet(this.#parts.href, part, String(value)))
    }

    static canParse(input: string, base?: string): boolean {
      try {
        new Url(input, base)
        return true
      } catch {
        return false
      }
    }

    static parse(input: string, base?: string): Url | null {
      try {
        return new Url(input, base)
      } catch {
        return null
      }
    }

    get origin(): string {
      return this.#parts.origin
    }
    get searchParams(): SearchParams {
      return this.#params
    }
    toString(): string {
      return this.#parts.href
    }
    toJSON(): string {
      return this.#parts.href
    }
    get [Symbol.toStringTag](): string {
      return 'URL'
    }

    static {
      for (const part of SETTABLE) {
        Object.defineProperty(Url.prototype, part, {
          configurable: true,
          enumerable: true,
          get(this: Url) {
            return this.#parts[part]
          },
          set(this: Url, value: string) {
            this.#set(part, value)
            if (part === 'href' || part === 'search') {
              SearchParams.reparse(this.#params, this.#parts.search)
            }
          },
        })
      }
    }
  }
  return Url
}

function utf8Encode(text: string): Uint8Array {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
        i++
      } else code = 0xfffd
    } else if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd
    if (code < 0x80) bytes.push(code)
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63))
    else if (code < 0x10000)
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63))
    else
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 63),
        0x80 | ((code >> 6) & 63),
        0x80 | (code & 63),
      )
  }
  return new Uint8Array(bytes)
}

function utf8Decode(bytes: Uint8Array, fatal: boolean): string {
  let out = ''
  let i = 0
  const bad = (): void => {
    if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8')
    out += '\ufffd'
  }
  while (i < bytes.length) {
    const b = bytes[i] as number
    let need = 0
    let code = 0
    let min = 0
    if (b < 0x80) {
      out += String.fromCharCode(b)
      i++
      continue
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1
      code = b & 31
      min = 0x80
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      code = b & 15
      min = 0x800
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      code = b & 7
      min = 0x10000
    } else {
      bad()
      i++
      continue
    }
    let j = 1
    for (; j <= need; j++) {
      const next = bytes[i + j]
      if (next === undefined || (next & 0xc0) !== 0x80) break
      code = (code << 6) | (next & 63)
    }
    if (j <= need || code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      bad()
      i += Math.max(1, j)
      continue
    }
    out += String.fromCodePoint(code)
    i += need + 1
  }
  return out
}

function toBytes(input: unknown): Uint8Array {
  if (input === undefined) return new Uint8Array(0)
  if (input instanceof ArrayBuffer) return new Uint8Array(input)
  if (ArrayBuffer.isView(input))
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
  throw new TypeError('TextDecoder.decode: the input must be an ArrayBuffer or a view of one')
}

class Encoder {
  get encoding(): string {
    return 'utf-8'
  }
  encode(text = ''): Uint8Array {
    return utf8Encode(String(text))
  }
  encodeInto(text: string, into: Uint8Array): { read: number; written: number } {
    let read = 0
    let written = 0
    for (const char of String(text)) {
      const bytes = utf8Encode(char)
      if (written + bytes.length > into.length) break
      into.set(bytes, written)
      written += bytes.length
      read += char.length
    }
    return { read, written }
  }
}

class Decoder {
  readonly #fatal: boolean
  readonly #ignoreBOM: boolean
  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!['utf-8', 'utf8', 'unicode-1-1-utf-8'].includes(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: only utf-8 is supported in the sandbox, not ${label}`)
    }
    this.#fatal = options.fatal === true
    this.#ignoreBOM = options.ignoreBOM === true
  }
  get encoding(): string {
    return 'utf-8'
  }
  get fatal(): boolean {
    return this.#fatal
  }
  get ignoreBOM(): boolean {
    return this.#ignoreBOM
  }
  decode(input?: unknown): string {
    const text = utf8Decode(toBytes(input), this.#fatal)
    return !this.#ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

function invalidCharacter(message: string): Error {
  return Object.assign(new Error(message), { name: 'InvalidCharacterError' })
}

function btoa(data: string): string {
  const text = String(data)
  let out = ''
  for (let i = 0; i < text.length; i += 3) {
    const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)]
    for (const code of codes) {
      if (code > 255) throw invalidCharacter('btoa: the string has characters outside Latin1')
    }
    const [a = 0, b, c] = codes
    const n = (a << 16) | ((b || 0) << 8) | (c || 0)
    out += B64[(n >> 18) & 63] as string
    out += B64[(n >> 12) & 63] as string
    out += Number.isNaN(b) ? '=' : (B64[(n >> 6) & 63] as string)
    out += Number.isNaN(c) ? '=' : (B64[n & 63] as string)
  }
  return out
}

function atob(data: string): string {
  let text = String(data).replace(/[\t\n\f\r ]/g, '')
  if (text.length % 4 === 0) text = text.replace(/==?$/, '')
  if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
    throw invalidCharacter('atob: the string is not valid base64')
  }
  let out = ''
  let buffer = 0
  let bits = 0
  for (const char of text) {
    buffer = (buffer << 6) | B64.indexOf(char)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out += String.fromCharCode((buffer >> bits) & 255)
    }
  }
  return out
}

function cloneError(message: string): Error {
  return Object.assign(new Error(message), { name: 'DataCloneError' })
}

function structuredClone<T>(value: T): T {
  const seen = new Map<unknown, unknown>()
  const clone = (input: unknown): unknown => {
    if (typeof input === 'function' || typeof input === 'symbol') {
      throw cloneError(`structuredClone: a ${typeof input} could not be cloned`)
    }
    if (typeof input !== 'object' || input === null) return input
    if (seen.has(input)) return seen.get(input)
    if (input instanceof Date) return new Date(input.getTime())
    if (input instanceof RegExp) return new RegExp(input.source, input.flags)
    if (input instanceof ArrayBuffer) {
      const copy = input.slice(0)
      seen.set(input, copy)
      return copy
    }
    if (ArrayBuffer.isView(input)) {
      const View = input.constructor as new (
        buffer: ArrayBuffer,
        offset: number,
        length: number,
      ) => ArrayBufferView
      const buffer = clone(input.buffer) as ArrayBuffer
      const per = (input as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1
      return new View(buffer, input.byteOffset, input.byteLength / per)
    }
    if (input instanceof Map) {
      const copy = new Map()
      seen.set(input, copy)
      for (const [k, v] of input) copy.set(clone(k), clone(v))
      return copy
    }
    if (input instanceof Set) {
      const copy = new Set()
      seen.set(input, copy)
      for (const v of input) copy.add(clone(v))
      return copy
    }
    if (input instanceof Error) {
      const copy = new Error(input.message)
      copy.name = input.name
      seen.set(input, copy)
      return copy
    }
    if (input instanceof Boolean || input instanceof Number || input instanceof String) {
      return Object(input.valueOf())
    }
    if (input instanceof Promise || input instanceof WeakMap || input instanceof WeakSet) {
      throw cloneError(`structuredClone: a ${input.constructor.name} could not be cloned`)
    }
    const copy: Record<string, unknown> | unknown[] = Array.isArray(input) ? [] : {}
    seen.set(input, copy)
    for (const key of Object.keys(input)) {
      ;(copy as Record<string, unknown>)[key] = clone((input as Record<string, unknown>)[key])
    }
    return copy
  }
  return clone(value) as T
}

function abortError(): Error {
  return Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })
}

type Listener = (event: { type: string; target: unknown }) => void

class Signal {
  #aborted = false
  #reason: unknown
  #listeners: Array<{ fn: Listener; once: boolean }> = []
  onabort: Listener | null = null

  get aborted(): boolean {
    return this.#aborted
  }
  get reason(): unknown {
    return this.#reason
  }
  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason
  }
  addEventListener(type: string, fn: Listener, options?: { once?: boolean } | boolean): void {
    if (type !== 'abort' || typeof fn !== 'function') return
    this.#listeners.push({ fn, once: typeof options === 'object' && options?.once === true })
  }
  removeEventListener(type: string, fn: Listener): void {
    if (type === 'abort') this.#listeners = this.#listeners.filter((l) => l.fn !== fn)
  }

  /** Aborts a signal once; later aborts change nothing. */
  static abortWith(signal: Signal, reason: unknown): void {
    if (signal.#aborted) return
    signal.#aborted = true
    signal.#reason = reason === undefined ? abortError() : reason
    const event = { type: 'abort', target: signal }
    const listeners = signal.#listeners
    signal.#listeners = listeners.filter((l) => !l.once)
    signal.onabort?.call(signal, event)
    for (const listener of listeners) listener.fn.call(signal, event)
  }

  static abort(reason?: unknown): Signal {
    const signal = new Signal()
    Signal.abortWith(signal, reason)
    return signal
  }

  static any(signals: Signal[]): Signal {
    const signal = new Signal()
    for (const source of signals) {
      if (source.aborted) {
        Signal.abortWith(signal, source.reason)
        return signal
      }
      source.addEventListener('abort', () => Signal.abortWith(signal, source.reason), {
        once: true,
      })
    }
    return signal
  }

  get [Symbol.toStringTag](): string {
    return 'AbortSignal'
  }
}

class Controller {
  readonly signal = new Signal()
  abort(reason?: unknown): void {
    Signal.abortWith(this.signal, reason)
  }
}

function describeArgs(args: unknown[]): string {
  return args
    .map((arg) => {
      if (typeof arg === 'string') return arg
      if (arg instanceof Error) return arg.stack ?? `${arg.name}: ${arg.message}`
      try {
        return typeof arg === 'object' && arg !== null ? JSON.stringify(arg) : String(arg)
      } catch {
        return String(arg)
      }
    })
    .join(' ')
}

/** Makes `Date.now()` and `new Date()` read a given clock. */
function installClock(scope: Scope, now: () => number): void {
  const RealDate = Date
  class ClockDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now())
      else super(...(args as [string]))
    }
    static override now(): number {
      return now()
    }
  }
  Object.defineProperty(scope, 'Date', {
    value: ClockDate,
    writable: true,
    configurable: true,
    enumerable: false,
  })
}

/** Installs the globals in the isolate's current context. */
export function installGlobals(host: GlobalsHost): void {
  const scope = globalThis as unknown as Scope
  const timers = new Map<number, boolean>()
  let lastTimer = 0
  // Host timers not settled yet, cleared ones included: each holds a host timer till it fires.
  let pendingHost = 0
  const setTimeout = (fn: unknown, ms?: unknown, ...args: unknown[]): number => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout: the callback must be a function')
    if (pendingHost >= MAX_TIMERS) {
      throw new RangeError(`setTimeout: a call may have at most ${MAX_TIMERS} timers pending`)
    }
    const id = ++lastTimer
    timers.set(id, true)
    pendingHost++
    host.timer(Math.max(0, Number(ms) || 0)).then(
      () => {
        pendingHost--
        if (!timers.delete(id)) return
        try {
          fn(...args)
        } catch (error) {
          host.log('error', `a setTimeout callback threw: ${describeArgs([error])}`)
        }
      },
      () => {
        pendingHost--
        timers.delete(id)
      },
    )
    return id
  }
  const clearTimeout = (id: unknown): void => {
    timers.delete(Number(id))
  }
  const getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
    if (
      !(
        array instanceof Int8Array ||
        array instanceof Uint8Array ||
        array instanceof Uint8ClampedArray ||
        array instanceof Int16Array ||
        array instanceof Uint16Array ||
        array instanceof Int32Array ||
        array instanceof Uint32Array ||
        array instanceof BigInt64Array ||
        array instanceof BigUint64Array
      )
    ) {
      throw new TypeError('crypto.getRandomValues: the argument must be an integer typed array')
    }
    if (array.byteLength > 65_536) {
      throw Object.assign(
        new Error(`crypto.getRandomValues: ${array.byteLength} bytes are over the limit of 65536`),
        { name: 'QuotaExceededError' },
      )
    }
    const bytes = host.random(array.byteLength)
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes)
    return array
  }
  const randomUUID = (): string => {
    const bytes = getRandomValues(new Uint8Array(16))
    bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40
    bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
  const log =
    (level: string) =>
    (...args: unknown[]): void =>
      host.log(level, describeArgs(args))
  const console = {
    debug: log('debug'),
    log: log('info'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    trace: log('debug'),
  }
  const globals: Scope = {
    URL: makeUrl(host),
    URLSearchParams: SearchParams,
    TextEncoder: Encoder,
    TextDecoder: Decoder,
    structuredClone,
    atob,
    btoa,
    crypto: { getRandomValues, randomUUID },
    AbortController: Controller,
    AbortSignal: Signal,
    setTimeout,
    clearTimeout,
    queueMicrotask: (fn: () => void) => {
      void Promise.resolve().then(fn)
    },
    console,
  }
  for (const [name, value] of Object.entries(globals)) {
    Object.defineProperty(scope, name, {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
  if (host.now) installClock(scope, host.now)
  Object.defineProperty(Signal, 'timeout', {
    value: (ms: number) => {
      const signal = new Signal()
      setTimeout(
        () =>
          Signal.abortWith(
            signal,
            Object.assign(new Error('The operation timed out'), { name: 'TimeoutError' }),
          ),
        ms,
      )
      return signal
    },
    configurable: true,
    writable: true,
  })
}
