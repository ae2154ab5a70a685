import { FetchRefusedError } from '../errors.js'
import type { HostBridge } from './isolate.js'

/** One log line written by a plugin. */
export interface PluginLogEntry {
  plugin: string
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
  fields?: Record<string, unknown>
  /** The component (`code@version`) whose call wrote the line. */
  component?: string
  /** The root pipeline of the node that was called. */
  pipelineId?: string
  nodeId?: string
}

/** What the host knows of the call that writes a log line. */
export interface LogTags {
  component: string
  pipelineId: string
  nodeId: string
}

/** What the bridge of one plugin allows. */
export interface BridgeSettings {
  plugin: string
  allowedHosts: string[]
  maxResponseBytes: number
  fetchTimeoutMs: number
  maxLogLinesPerMinute: number
  maxLogBytesPerMinute: number
  onLog: (entry: PluginLogEntry) => void
  /** The clock of the log window (the machine's by default). */
  now?: () => number
  /** Answers the allowed requests instead of the network (a test's stand-in). */
  fetch?: ((url: string, init: RequestInit) => Response | Promise<Response>) | undefined
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error'])
const MAX_LOG_CHARS = 16_384

/** Whether a URL's host is in an allow-list (`example.com`, `127.0.0.1:8080`, `*.example.com`). */
export function isHostAllowed(url: URL, hosts: string[]): boolean {
  return hosts.some((entry) => {
    if (entry.startsWith('*.')) return url.hostname.endsWith(entry.slice(1))
    return entry.includes(':') ? url.host === entry : url.hostname === entry
  })
}

function parseInit(plugin: string, initJson: string | undefined): RequestInit {
  if (initJson === undefined) return {}
  const init = JSON.parse(initJson) as Record<string, unknown>
  const out: RequestInit = {}
  if (init.method !== undefined) out.method = String(init.method)
  if (init.body !== undefined && init.body !== null) out.body = String(init.body)
  if (init.headers !== undefined) {
    if (typeof init.headers !== 'object' || init.headers === null) {
      throw new FetchRefusedError(plugin, 'fetch headers must be an object of strings')
    }
    out.headers = Object.fromEntries(
      Object.entries(init.headers as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    )
  }
  return out
}

/** The capabilities given to the isolates of one plugin: logging, allowed fetch, sleep. */
export function createBridge(settings: BridgeSettings): HostBridge {
  const { plugin } = settings
  const now = settings.now ?? Date.now
  // A window of one minute: what goes over its lines or bytes is counted, dropped, and reported
  // once in the next window's first line.
  let windowStart = now()
  let lines = 0
  let bytes = 0
  let dropped = 0
  const admit = (size: number): boolean => {
    const at = now()
    if (at - windowStart >= 60_000) {
      if (dropped > 0) {
        settings.onLog({
          plugin,
          level: 'warn',
          message: `${dropped} log lines of plugin ${plugin} were dropped: over its limit of ${settings.maxLogLinesPerMinute} lines or ${settings.maxLogBytesPerMinute} bytes a minute`,
        })
      }
      windowStart = at
      lines = 0
      bytes = 0
      dropped = 0
    }
    if (lines + 1 > settings.maxLogLinesPerMinute || bytes + size > settings.maxLogBytesPerMinute) {
      if (dropped === 0) {
        settings.onLog({
          plugin,
          level: 'warn',
          message: `plugin ${plugin} is over its log limit of ${settings.maxLogLinesPerMinute} lines or ${settings.maxLogBytesPerMinute} bytes a minute: lines are dropped until the minute ends`,
        })
      }
      dropped++
      return false
    }
    lines++
    bytes += size
    return true
  }
  return {
    log(level, message, fieldsJson, tags) {
      if (!admit(Buffer.byteLength(message) + (fieldsJson ? Buffer.byteLength(fieldsJson) : 0)))
        return
      const entry: PluginLogEntry = {
        plugin,
        level: LEVELS.has(level) ? (level as PluginLogEntry['level']) : 'info',
        message: message.length > MAX_LOG_CHARS ? `${message.slice(0, MAX_LOG_CHARS)}…` : message,
      }
      if (tags) {
        entry.component = tags.component
        entry.pipelineId = tags.pipelineId
        entry.nodeId = tags.nodeId
      }
      if (fieldsJson !== undefined && fieldsJson.length <= MAX_LOG_CHARS) {
        try {
          const fields = JSON.parse(fieldsJson)
          if (typeof fields === 'object' && fields !== null) entry.fields = fields
        } catch {
          entry.fields = { unparsed: true }
        }
      }
      settings.onLog(entry)
    },
    async fetch(url, initJson) {
      let target: URL
      try {
        target = new URL(url)
      } catch {
        throw new FetchRefusedError(plugin, `fetch: ${url} is not a URL`)
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new FetchRefusedError(
          plugin,
          `fetch: only http and https URLs, not ${target.protocol}`,
        )
      }
      if (!isHostAllowed(target, settings.allowedHosts)) {
        throw new FetchRefusedError(
          plugin,
          `fetch to ${target.host} is not allowed for plugin ${plugin} (allowed hosts: ${settings.allowedHosts.join(', ') || 'none'})`,
        )
      }
      const send = settings.fetch ?? ((to: string, init: RequestInit) => fetch(to, init))
      const response = await send(target.href, {
        ...parseInit(plugin, initJson),
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.fetchTimeoutMs),
      })
      const declared = Number(response.headers.get('content-length') ?? 0)
      if (declared > settings.maxResponseBytes) await response.body?.cancel()
      const body = declared > settings.maxResponseBytes ? '' : await response.text()
      if (declared > settings.maxResponseBytes || body.length > settings.maxResponseBytes) {
        throw new FetchRefusedError(
          plugin,
          `fetch: the response of ${target.host} is over the limit of ${settings.maxResponseBytes} bytes`,
        )
      }
      return JSON.stringify({
        status: response.status,
        statusText: response.statusText,
        headers: Object.fromEntries(response.headers),
        body,
      })
    },
    sleep(seconds) {
      return new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds) * 1000))
    },
  }
}
