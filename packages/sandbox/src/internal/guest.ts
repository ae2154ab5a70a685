import {
  type CallRequest,
  type Capabilities,
  type ComponentDefinition,
  describeComponent,
  encodeResult,
  invokeComponent,
  invokeLazyVariable,
  isComponentDefinition,
  isLazyVariableDefinition,
  type LazyVariableDefinition,
} from '@culm/sdk'
import { installGlobals } from './globals.js'

// This module runs inside the isolate, bundled with the plugin: no Node API, no host object.

interface HostReference {
  apply(receiver: undefined, args: unknown[], options: object): Promise<unknown>
  applyIgnored(receiver: undefined, args: unknown[], options: object): void
  applySync(receiver: undefined, args: unknown[], options: object): unknown
}

interface Host {
  log: HostReference
  fetch: HostReference
  sleep: HostReference
  url: HostReference
  urlSet: HostReference
  random: HostReference
  timer: HostReference
  now?: HostReference
  secrets: Record<string, string>
  maxResultBytes: number
}

const scope = globalThis as unknown as { __culmHost?: Host; __culmGuest?: unknown }
const host = scope.__culmHost as Host
delete scope.__culmHost

// Null-prototype options: a plugin that patches Object.prototype cannot change how values cross.
const copy = (): object => ({ __proto__: null, copy: true })
const answer = (): object => ({
  __proto__: null,
  arguments: copy(),
  result: { __proto__: null, promise: true, copy: true },
})

/**
 * The value of a host envelope `{ ok, value | code, error }`; a host error becomes a TypeError
 * carrying the host's `code` (`FETCH_REFUSED`), to match on across the boundary.
 */
function unwrap(text: unknown): unknown {
  const envelope = JSON.parse(String(text)) as {
    ok: boolean
    value?: unknown
    code?: string
    error?: string
  }
  if (!envelope.ok) throw Object.assign(new TypeError(envelope.error), { code: envelope.code })
  return envelope.value
}

const sync = (): object => ({ __proto__: null, arguments: copy(), result: copy() })

installGlobals({
  url: (input, base) => String(host.url.applySync(undefined, [input, base], sync())),
  urlSet: (href, part, value) =>
    String(host.urlSet.applySync(undefined, [href, part, value], sync())),
  random: (n) => {
    const bytes = host.random.applySync(undefined, [n], sync())
    return Array.isArray(bytes) ? bytes.map(Number) : []
  },
  timer: async (ms) => {
    unwrap(await host.timer.apply(undefined, [ms], answer()))
  },
  ...(host.now
    ? { now: () => Number((host.now as HostReference).applySync(undefined, [], sync())) }
    : {}),
  log: (level, message) =>
    host.log.applyIgnored(undefined, [level, message, undefined], {
      __proto__: null,
      arguments: copy(),
    }),
})

const capabilities: Capabilities = {
  log(level, message, fields) {
    let text: string | undefined
    try {
      text = fields === undefined ? undefined : JSON.stringify(fields)
    } catch {
      text = undefined
    }
    host.log.applyIgnored(undefined, [level, String(message), text], {
      __proto__: null,
      arguments: copy(),
    })
  },
  async fetch(url, init) {
    const text = await host.fetch.apply(
      undefined,
      [String(url), init === undefined ? undefined : JSON.stringify(init)],
      answer(),
    )
    return JSON.parse(unwrap(text) as string)
  },
  async sleep(seconds) {
    unwrap(await host.sleep.apply(undefined, [Number(seconds)], answer()))
  },
  secrets: { ...host.secrets },
}

function collect(modules: Array<Record<string, unknown>>): {
  components: ComponentDefinition[]
  variables: LazyVariableDefinition[]
} {
  const components: ComponentDefinition[] = []
  const variables: LazyVariableDefinition[] = []
  const visit = (value: unknown): void => {
    if (isComponentDefinition(value)) {
      if (!components.includes(value)) components.push(value)
    } else if (isLazyVariableDefinition(value)) {
      if (!variables.includes(value)) variables.push(value)
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item)
    }
  }
  for (const module of modules) for (const value of Object.values(module)) visit(value)
  return { components, variables }
}

/** Registers the plugin's modules and hands the host its three entry points. */
export function serve(modules: Array<Record<string, unknown>>): void {
  const { components, variables } = collect(modules)
  const byKey = new Map(components.map((c) => [`${c.code}@${c.version}`, c]))
  const byCode = new Map(variables.map((v) => [v.code, v]))
  scope.__culmGuest = {
    describe: () =>
      JSON.stringify({
        components: components.map(describeComponent),
        variables: variables.map((v) => ({ code: v.code, name: v.name ?? v.code })),
      }),
    call: async (payload: string) => {
      const { key, request } = JSON.parse(payload) as { key: string; request: CallRequest }
      const component = byKey.get(key)
      if (!component) {
        return JSON.stringify({
          success: false,
          outputs: request.outputs,
          finished: false,
          error: `component ${key} is not in this plugin`,
        })
      }
      const result = await invokeComponent(component, request, capabilities)
      return encodeResult(result, request.outputs, host.maxResultBytes)
    },
    lazy: async (payload: string) => {
      const { code, value, context } = JSON.parse(payload)
      const variable = byCode.get(code)
      if (!variable)
        return JSON.stringify({ ok: false, error: `lazy variable ${code} is not in this plugin` })
      const outcome = await invokeLazyVariable(variable, value, context)
      try {
        return JSON.stringify(outcome)
      } catch {
        return JSON.stringify({
          ok: false,
          error: `lazy variable ${code} computed a non-JSON value`,
        })
      }
    },
  }
}
