import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ComponentInfo } from '@culm/engine'
import { type ComponentDescription, type ObjectSchema, schemaFields } from '@culm/sdk'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import {
  PluginCallError,
  PluginCollisionError,
  PluginInvalidError,
  PluginLoadError,
  SandboxError,
  type SandboxErrorCode,
} from './errors.js'
import { createBridge, type PluginLogEntry } from './internal/bridge.js'
import { bundlePlugin } from './internal/bundle.js'
import { PluginIsolate, type PluginScript } from './internal/isolate.js'
import { linearRegExp } from './internal/linear-regexp.js'
import { isPluginFolder, type PluginManifest, readManifest } from './internal/manifest.js'
import { IsolatePool } from './internal/pool.js'
import { type PluginRuntime, type RunnerComponent, SandboxRunner } from './sandbox-runner.js'

/** What the host grants one plugin, and its limits. */
export interface PluginConfig {
  /** Hosts `ctx.fetch` may reach: `api.example.com`, `127.0.0.1:8080`, `*.example.com`. */
  allowedHosts?: string[]
  /** Secrets the plugin reads with `ctx.secret(name)`. */
  secrets?: Record<string, string>
  /** Memory limit of each isolate, in MB (64). */
  memoryLimitMb?: number
  /** Execution time one call may spend inside the isolate, in ms (1000). */
  cpuTimeLimitMs?: number
  /**
   * Calls of the plugin that run code at once (16). Each call has an isolate of its own; a call
   * over a limit disposes only its own.
   */
  maxIsolates?: number
  /**
   * Calls of the plugin at once, those waiting on the host (`ctx.fetch`, `ctx.sleep`, a timer)
   * included (64): while calls wait, the plugin starts isolates beside them, up to this many.
   * Further calls wait for a free isolate.
   */
  maxCalls?: number
  /** An isolate idle this long is disposed, down to one kept warm, in seconds (60; 0: never). */
  idleIsolateSeconds?: number
  /** Size limit of a call's JSON and of its answer, in bytes (4 MiB). */
  maxPayloadBytes?: number
  /** Size limit of a fetched body, in bytes (4 MiB). */
  maxResponseBytes?: number
  /** The longest wall time of one call, in seconds, whatever the component says (3600). */
  maxTimeoutSeconds?: number
  /** The shortest wait between two polls, in seconds, whatever the component says (1). */
  minPollIntervalSeconds?: number
  /** Log lines one call may write; more are counted, dropped and reported (100). */
  maxLogLinesPerCall?: number
  /** Log bytes one call may write (256 KiB). */
  maxLogBytesPerCall?: number
  /** Log lines the plugin may write a minute; more are counted and dropped (600). */
  maxLogLinesPerMinute?: number
  /** Log bytes the plugin may write a minute; more are counted and dropped (1 MiB). */
  maxLogBytesPerMinute?: number
}

/** Options of `loadPlugins`. */
export interface LoadPluginsOptions {
  /** Folders whose sub-folders are plugins (`plugins` for `plugins/*`); relative to `cwd`. */
  directories?: string[]
  /** Folders that are each one plugin (`./my-plugin`); relative to `cwd`. */
  folders?: string[]
  /** Names of installed npm packages that are plugins (any name; found above `cwd`). */
  packages?: string[]
  /**
   * Bundles each `culm.components` module from its source (`src/x.ts` for `dist/x.js`) when
   * that file exists: a test or a dev loop runs the code without building it first.
   */
  fromSource?: boolean
  /** The clock `Date` reads inside the isolates, in ms (a test's fake clock). */
  now?: () => number
  /** Answers the plugins' allowed `ctx.fetch` requests instead of the network (tests). */
  fetch?: (url: string, init: RequestInit) => Response | Promise<Response>
  /** Per plugin (by package name); `defaults` applies to all. */
  config?: Record<string, PluginConfig>
  defaults?: PluginConfig
  /** Where relative folders and packages are resolved (the process's cwd). */
  cwd?: string
  /** More folders whose `node_modules` (and those above) hold plugin packages. */
  packageRoots?: string[]
  /** Where plugins' log lines go (JSON lines on stderr by default). */
  onLog?: (entry: PluginLogEntry) => void
  /** `false` loads the valid plugins and lists the refused ones instead of throwing. */
  strict?: boolean
}

/** A component of a loaded plugin, as the server and the console list it. */
export interface LoadedComponent {
  code: string
  version: string
  name: string
  group?: string
  description?: string
  inputs: ObjectSchema
  outputs: ObjectSchema
  scheduleMode: ComponentInfo['scheduleMode']
  test: boolean
}

/** A loaded plugin. */
export interface LoadedPlugin {
  name: string
  version: string
  directory: string
  test: boolean
  components: LoadedComponent[]
  lazyVariables: string[]
}

/** What `loadPlugins` answers. */
export interface LoadedPlugins {
  runner: SandboxRunner
  plugins: LoadedPlugin[]
  /** Plugins refused when `strict` is false. */
  refused: Array<{ plugin: string; code: SandboxErrorCode; message: string }>
  /**
   * Loads a plugin again from its folder (its code bundled anew) and puts it in place of the
   * loaded one: calls already running finish on the old version, the next calls run the new.
   */
  reload(name: string): Promise<LoadedPlugin>
  /** Disposes every isolate. */
  close(): Promise<void>
}

const DEFAULTS: Required<Omit<PluginConfig, 'allowedHosts' | 'secrets'>> = {
  memoryLimitMb: 64,
  cpuTimeLimitMs: 1000,
  maxIsolates: 16,
  maxCalls: 64,
  idleIsolateSeconds: 60,
  maxPayloadBytes: 4 * 1024 * 1024,
  maxResponseBytes: 4 * 1024 * 1024,
  maxTimeoutSeconds: 3600,
  minPollIntervalSeconds: 1,
  maxLogLinesPerCall: 100,
  maxLogBytesPerCall: 256 * 1024,
  maxLogLinesPerMinute: 600,
  maxLogBytesPerMinute: 1024 * 1024,
}

function defaultLog(entry: PluginLogEntry): void {
  process.stderr.write(`${JSON.stringify({ ...entry, time: new Date().toISOString() })}\n`)
}

function findPackage(name: string, cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return candidate
    if (dirname(dir) === dir) return undefined
  }
}

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv

/** The validator of inputs schemas: coerces, fills defaults, checks `format`, linear regexps. */
function createAjv(): { ajv: Ajv; warnings: string[] } {
  const warnings: string[] = []
  const ajv = new Ajv({
    logger: { log() {}, warn: (message: unknown) => warnings.push(String(message)), error() {} },
    strict: false,
    coerceTypes: true,
    useDefaults: true,
    allErrors: true,
    code: { regExp: linearRegExp },
  })
  addFormats(ajv)
  return { ajv, warnings }
}

function pluginFolders(options: LoadPluginsOptions, cwd: string): string[] {
  const folders: string[] = []
  for (const path of options.folders ?? []) {
    const folder = resolve(cwd, path)
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new PluginLoadError([
        { plugin: path, code: 'PLUGIN_INVALID', message: `plugin folder ${folder} does not exist` },
      ])
    }
    if (!existsSync(join(folder, 'package.json'))) {
      throw new PluginLoadError([
        {
          plugin: path,
          code: 'PLUGIN_INVALID',
          message: `plugin folder ${folder} has no package.json`,
        },
      ])
    }
    folders.push(folder)
  }
  for (const directory of options.directories ?? []) {
    const root = resolve(cwd, directory)
    if (!existsSync(root)) {
      throw new PluginLoadError([
        {
          plugin: directory,
          code: 'PLUGIN_INVALID',
          message: `plugin folder ${root} does not exist`,
        },
      ])
    }
    for (const entry of readdirSync(root).sort()) {
      const folder = join(root, entry)
      if (statSync(folder).isDirectory() && isPluginFolder(folder)) folders.push(folder)
    }
  }
  for (const name of options.packages ?? []) {
    const roots = [cwd, ...(options.packageRoots ?? [])]
    const folder = roots.map((root) => findPackage(name, root)).find((f) => f !== undefined)
    if (!folder) {
      throw new PluginLoadError([
        {
          plugin: name,
          code: 'PLUGIN_INVALID',
          message: `plugin package ${name} is not installed in node_modules above ${roots.join(' or ')}`,
        },
      ])
    }
    folders.push(folder)
  }
  // A package found both in a folder and as an installed package (a workspace link) loads once.
  return [...new Map(folders.map((f) => [realpathSync(f), f])).keys()]
}

interface Described {
  components: ComponentDescription[]
  variables: Array<{ code: string; name: string }>
}

/**
 * Loads plugins from folders (`plugins/*`) and installed npm packages: checks each manifest,
 * bundles its code with esbuild (refusing Node built-ins), starts an isolate to read its
 * components, checks their schemas, and refuses code collisions between plugins.
 * @example
 * const { runner, plugins, close } = await loadPlugins({ directories: ['plugins'] })
 * const engine = createEngine({ runtime, dispatcher, components: runner })
 */
export async function loadPlugins(options: LoadPluginsOptions = {}): Promise<LoadedPlugins> {
  const cwd = options.cwd ?? process.cwd()
  const onLog = options.onLog ?? defaultLog
  const { ajv, warnings } = createAjv()
  const runner = new SandboxRunner()
  const plugins: LoadedPlugin[] = []
  const pools = new Map<string, IsolatePool>()
  const refused: LoadedPlugins['refused'] = []
  const owners = new Map<string, string>()

  const load = async (folder: string): Promise<Loaded> => {
    let pluginName = folder
    let warm: PluginIsolate | undefined
    try {
      const manifest: PluginManifest = readManifest(folder, options.fromSource === true)
      pluginName = manifest.name
      const config = { ...DEFAULTS, ...options.defaults, ...options.config?.[manifest.name] }
      const script: PluginScript = {
        plugin: manifest.name,
        code: await bundlePlugin(manifest.name, manifest.directory, manifest.entries),
      }
      const bridge = createBridge({
        plugin: manifest.name,
        allowedHosts: config.allowedHosts ?? [],
        maxResponseBytes: config.maxResponseBytes,
        fetchTimeoutMs: 30_000,
        maxLogLinesPerMinute: config.maxLogLinesPerMinute,
        maxLogBytesPerMinute: config.maxLogBytesPerMinute,
        onLog,
        fetch: options.fetch,
      })
      const settings = {
        memoryLimitMb: config.memoryLimitMb,
        secrets: config.secrets ?? {},
        maxResultBytes: config.maxPayloadBytes,
        maxLogLinesPerCall: config.maxLogLinesPerCall,
        maxLogBytesPerCall: config.maxLogBytesPerCall,
        now: options.now,
      }
      const start = () => PluginIsolate.start(script, bridge, settings)
      warm = await start()
      const described = JSON.parse(
        await warm.invoke('describe', '', { cpuMs: 5000, wallMs: 10_000 }),
      ) as Described
      const loaded = describePlugin(manifest, described, { ajv, warnings }, owners)
      const pool = new IsolatePool(start, config.maxIsolates, warm, {
        maxCalls: config.maxCalls,
        // Waiting calls hold no more than the running ones may: the plugin's memory at most
        // doubles however many calls wait.
        waitingMemoryBytes: config.maxIsolates * config.memoryLimitMb * 1024 * 1024,
        idleMs: config.idleIsolateSeconds * 1000,
      })
      warm = undefined
      const runtime: PluginRuntime = {
        name: manifest.name,
        pool,
        start,
        settings: {
          cpuTimeLimitMs: config.cpuTimeLimitMs,
          maxPayloadBytes: config.maxPayloadBytes,
          maxTimeoutSeconds: config.maxTimeoutSeconds,
          minPollIntervalSeconds: config.minPollIntervalSeconds,
        },
      }
      return {
        plugin: loaded.plugin,
        pool,
        components: loaded.components.map((c) => ({ ...c, plugin: runtime })),
        lazy: loaded.plugin.lazyVariables.map((code) => [code, runtime]),
      }
    } catch (error) {
      warm?.dispose()
      if (error instanceof SandboxError && !(error as { plugin?: string }).plugin) {
        throw new PluginInvalidError(pluginName, error.message, { cause: error })
      }
      throw error
    }
  }

  const own = (plugin: LoadedPlugin, owner: string | undefined): void => {
    for (const c of plugin.components) {
      if (owner) owners.set(`component ${c.code}`, owner)
      else owners.delete(`component ${c.code}`)
    }
    for (const code of plugin.lazyVariables) {
      if (owner) owners.set(`lazy variable ${code}`, owner)
      else owners.delete(`lazy variable ${code}`)
    }
  }

  for (const folder of pluginFolders(options, cwd)) {
    try {
      const loaded = await load(folder)
      runner.add(loaded.components, loaded.lazy)
      pools.set(loaded.plugin.name, loaded.pool)
      own(loaded.plugin, loaded.plugin.name)
      plugins.push(loaded.plugin)
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error
      const plugin = (error as { plugin?: string }).plugin
      refused.push({ plugin: plugin ?? folder, code: error.code, message: error.message })
    }
  }

  const close = async () => {
    for (const pool of pools.values()) pool.close()
  }
  if (refused.length > 0 && options.strict !== false) {
    await close()
    throw new PluginLoadError(refused)
  }

  const reload = async (name: string): Promise<LoadedPlugin> => {
    const at = plugins.findIndex((p) => p.name === name)
    const current = plugins[at]
    if (!current) throw new PluginCallError(name, `plugin ${name} is not loaded`)
    own(current, undefined)
    let loaded: Loaded
    try {
      loaded = await load(current.directory)
    } finally {
      own(current, name)
    }
    if (loaded.plugin.name !== name) {
      loaded.pool.close()
      throw new PluginInvalidError(
        name,
        `its folder ${current.directory} now holds plugin ${loaded.plugin.name}`,
      )
    }
    runner.replace(name, loaded.components, loaded.lazy)
    own(current, undefined)
    own(loaded.plugin, name)
    // Busy isolates of the old version finish their calls, then are disposed.
    pools.get(name)?.close()
    pools.set(name, loaded.pool)
    plugins[at] = loaded.plugin
    return loaded.plugin
  }

  return { runner, plugins, refused, reload, close }
}

interface Loaded {
  plugin: LoadedPlugin
  pool: IsolatePool
  components: RunnerComponent[]
  lazy: Array<[string, PluginRuntime]>
}

function describePlugin(
  manifest: PluginManifest,
  described: Described,
  { ajv, warnings }: { ajv: Ajv; warnings: string[] },
  owners: Map<string, string>,
): { plugin: LoadedPlugin; components: Array<Omit<RunnerComponent, 'plugin'>> } {
  const name = manifest.name
  if (described.components.length === 0 && described.variables.length === 0) {
    throw new PluginInvalidError(
      name,
      'its modules export no component made with defineComponent and no lazy variable',
    )
  }
  const components: Array<Omit<RunnerComponent, 'plugin'>> = []
  const seen = new Set<string>()
  for (const description of described.components) {
    const key = `${description.code}@${description.version}`
    if (seen.has(key)) {
      throw new PluginInvalidError(
        name,
        `component ${description.code} version ${description.version} is defined twice`,
      )
    }
    seen.add(key)
    const owner = owners.get(`component ${description.code}`)
    if (owner) throw new PluginCollisionError(name, `component code ${description.code}`, owner)
    for (const which of ['inputs', 'outputs'] as const) {
      if (!ajv.validateSchema(description[which])) {
        throw new PluginInvalidError(
          name,
          `component ${description.code} ${which} schema is invalid: ${ajv.errorsText(ajv.errors)}`,
        )
      }
    }
    let validate: RunnerComponent['validate']
    try {
      warnings.length = 0
      validate = ajv.compile(description.inputs)
      ajv.compile(description.outputs)
      // Without strict mode ajv only warns of a format it does not know: the check is refused.
      const unknown = warnings.find((w) => /unknown format/.test(w))
      if (unknown) {
        throw new PluginInvalidError(
          name,
          `component ${description.code} schema uses an ${unknown.replace(/ ignored.*$/s, '')}: the formats are those of ajv-formats`,
        )
      }
    } catch (error) {
      if (error instanceof PluginInvalidError) throw error
      throw new PluginInvalidError(
        name,
        `component ${description.code} inputs schema is invalid: ${(error as Error).message}`,
        { cause: error },
      )
    }
    const test = manifest.test || description.test
    const info: ComponentInfo = {
      code: description.code,
      version: description.version,
      name: description.name,
      scheduleMode: description.scheduleMode,
      inputs: schemaFields(description.inputs),
      outputs: schemaFields(description.outputs),
    }
    components.push({
      description: { ...description, test },
      info,
      validate,
      declaresInputs: Object.keys(description.inputs.properties ?? {}).length > 0,
    })
  }
  for (const variable of described.variables) {
    const owner = owners.get(`lazy variable ${variable.code}`)
    if (owner) throw new PluginCollisionError(name, `lazy variable code ${variable.code}`, owner)
  }
  return {
    components,
    plugin: {
      name,
      version: manifest.version,
      directory: manifest.directory,
      test: manifest.test,
      components: components.map(({ description: d }) => {
        const listed: LoadedComponent = {
          code: d.code,
          version: d.version,
          name: d.name,
          inputs: d.inputs,
          outputs: d.outputs,
          scheduleMode: d.scheduleMode,
          test: d.test,
        }
        if (d.group !== undefined) listed.group = d.group
        if (d.description !== undefined) listed.description = d.description
        return listed
      }),
      lazyVariables: described.variables.map((v) => v.code),
    },
  }
}
