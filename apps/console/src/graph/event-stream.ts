/** One event of a `text/event-stream`. */
export interface ServerSentEvent {
  event: string
  data: string
  id?: string
  retry?: number
}

/**
 * A `text/event-stream` parser fed chunks as they arrive (a line or an event may span chunks).
 * It follows the HTML standard's rules: `event`, `data` (lines joined by `\n`), `id`, `retry`,
 * comments (`:`) ignored, an event dispatched at a blank line, `message` when unnamed, and an
 * event without data dropped.
 */
export class EventStreamParser {
  #buffer = ''
  #event = ''
  #data: string[] = []
  #id: string | undefined
  #retry: number | undefined
  #skipLf = false

  /** Feeds a chunk of text; returns the events it completed. */
  push(chunk: string): ServerSentEvent[] {
    const out: ServerSentEvent[] = []
    let text = chunk
    if (this.#skipLf && text.startsWith('\n')) text = text.slice(1)
    this.#skipLf = false
    this.#buffer += text
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer)
      if (!match) break
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) {
        this.#skipLf = true
      }
      const line = this.#buffer.slice(0, match.index)
      this.#buffer = this.#buffer.slice(match.index + match[0].length)
      const event = this.#line(line)
      if (event) out.push(event)
    }
    return out
  }

  #line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.#dispatch()
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'event':
        this.#event = value
        break
      case 'data':
        this.#data.push(value)
        break
      case 'id':
        if (!value.includes('\0')) this.#id = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.#retry = Number(value)
        break
      default:
        break
    }
    return undefined
  }

  #dispatch(): ServerSentEvent | undefined {
    const data = this.#data
    const name = this.#event
    this.#data = []
    this.#event = ''
    if (data.length === 0) return undefined
    return {
      event: name === '' ? 'message' : name,
      data: data.join('\n'),
      ...(this.#id === undefined ? {} : { id: this.#id }),
      ...(this.#retry === undefined ? {} : { retry: this.#retry }),
    }
  }
}

/** What an open stream reports: its events, and whether it is connected. */
interface StreamHandlers {
  onEvent(event: ServerSentEvent): void
  onStatus?(status: 'connecting' | 'open' | 'closed', error?: unknown): void
}

/** How to open a stream: the URL, the bearer token and the delays between reconnections. */
interface StreamOptions {
  url: string
  token: () => string | null
  fetch?: typeof fetch
  /** Milliseconds before the n-th reconnection (from 0); capped at the last value. */
  delays?: readonly number[]
  /** Waits `ms`; injectable so tests need no real time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

const DELAYS = [500, 1000, 2000, 5000, 10000]

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}

/**
 * Reads a `text/event-stream` with `fetch` and the bearer header (a token is never put in a URL,
 * so no `EventSource`), and reconnects when the stream ends or fails, until `close()`. A 401 or
 * 403 answer stops it: retrying would not help.
 */
export function openEventStream(options: StreamOptions, handlers: StreamHandlers): () => void {
  const controller = new AbortController()
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const delays = options.delays ?? DELAYS
  const sleep = options.sleep ?? sleepFor
  const run = async () => {
    let attempt = 0
    while (!controller.signal.aborted) {
      handlers.onStatus?.('connecting')
      let failure: unknown
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' }
        const token = options.token()
        if (token) headers.authorization = `Bearer ${token}`
        const response = await doFetch(options.url, { headers, signal: controller.signal })
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          handlers.onStatus?.('closed', new StreamRefused(response.status))
          return
        }
        if (!response.ok || !response.body) throw new StreamRefused(response.status)
        handlers.onStatus?.('open')
        attempt = 0
        const parser = new EventStreamParser()
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          for (const event of parser.push(value)) handlers.onEvent(event)
        }
      } catch (error) {
        failure = error
      }
      if (controller.signal.aborted) break
      handlers.onStatus?.('connecting', failure)
      await sleep(delays[Math.min(attempt, delays.length - 1)] ?? 1000, controller.signal)
      attempt += 1
    }
    handlers.onStatus?.('closed')
  }
  void run()
  return () => controller.abort()
}

/** A stream answer that was not a stream: its HTTP status. */
class StreamRefused extends Error {
  override readonly name = 'StreamRefused'
  readonly status: number
  constructor(status: number) {
    super(`the event stream answered HTTP ${status}`)
    this.status = status
  }
}
