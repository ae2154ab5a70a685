import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ComponentInfo, ComponentRunner } from '@culm/engine'
import {
  type LoadedPlugin,
  type LoadedPlugins,
  loadPlugins,
  type PluginConfig,
  type PluginLogEntry,
} from '@culm/sandbox'
import { z } from '@hono/zod-openapi'
import { ServerError } from './errors.js'

/** A loaded plugin as `GET /api/components` lists it. */
export interface PluginSummary {
  name: string
  version: string
  /** A plugin meant for tests only (the test kit). */
  test: boolean
  components: Array<{
    code: string
    version: string
    name: string
    test: boolean
    group: string | null
    description: string
    /** How the component waits after execute: `none`, `poll`, `callback`, `multi_callback`. */
    schedule_mode: ComponentInfo['scheduleMode']
    /** The JSON Schema of its inputs (an object whose properties are the input keys). */
    inputs_schema: Record<string, unknown>
    /** The JSON Schema of its outputs. */
    outputs_schema: Record<string, unknown>
  }>
  lazy_variables: string[]
}

/** The components the engine runs, the plugins they came from, and how to unload them. */
export interface LoadedComponents {
  runner: ComponentRunner
  plugins: PluginSummary[]
  /** The sandbox's loaded plugins: their folders, and how to reload one. */
  loaded: LoadedPlugins
  /** Reloads a plugin from its folder; `plugins` then lists its new components. */
  reload(name: string): Promise<PluginSummary>
  close(): Promise<void>
}

/**
 * Which plugins to load: every plugin of the plugins folder, or the named ones: package names,
 * and absolute paths of plugin folders.
 */
export type PluginSelection = 'all' | string[]

/** Options of `loadComponents`. */
export interface LoadComponentsOptions {
  /** The folder whose sub-folders are plugins (the repository's `plugins/`). */
  directory?: string
  /** `CULM_PLUGIN_DIR`: a folder whose sub-folders are plugins, loaded besides the selection. */
  pluginDirectory?: string
  /** Bundles plugins from their sources (`src/x.ts` for `dist/x.js`), as the dev loop does. */
  fromSource?: boolean
  /** What each plugin is granted (`CULM_PLUGIN_CONFIG`), by package name. */
  config?: Record<string, PluginConfig>
  onLog?: (entry: PluginLogEntry) => void
}

/** The repository's `plugins/` folder, next to `apps/`. */
export const PLUGINS_DIRECTORY = fileURLToPath(new URL('../../../plugins', import.meta.url))
/** Where plugin packages named in `CULM_PLUGINS` are looked up (node_modules above it). */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Whether an entry of `CULM_PLUGINS` is a folder path rather than a package name. */
function isPath(entry: string): boolean {
  return isAbsolute(entry) || entry.startsWith('./') || entry.startsWith('../') || entry === '.'
}

/**
 * Reads `CULM_PLUGINS`: `all` (the default) for every plugin of `plugins/`, or a comma-separated
 * list of plugin folders (`./path/to/plugin`, relative to `cwd`), installed plugin packages of
 * any name (`@acme/culm-weather`, `culm-weather`), or folder names of this repository's
 * `plugins/` (`testkit` for `@culm/plugin-testkit`).
 */
export function parsePluginSelection(
  value: string | undefined,
  cwd: string = process.cwd(),
): PluginSelection {
  const names = (value ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
  if (names.length === 0 || names.includes('all')) return 'all'
  return names.map((n) => {
    if (isPath(n)) return resolve(cwd, n)
    const firstParty = !n.includes('/') && existsSync(join(PLUGINS_DIRECTORY, n, 'package.json'))
    return firstParty ? `@culm/plugin-${n}` : n
  })
}

const count = z.number().int().positive()
const bytes = z.number().int().positive()
/** What an admin may grant a plugin, and the limits they may set: each checked, none unknown. */
const pluginConfigSchema = z.strictObject({
  allowedHosts: z.array(z.string().min(1)).optional(),
  secrets: z.record(z.string(), z.string()).optional(),
  memoryLimitMb: count.optional(),
  cpuTimeLimitMs: count.optional(),
  maxIsolates: count.optional(),
  maxCalls: count.optional(),
  idleIsolateSeconds: z.number().nonnegative().optional(),
  maxPayloadBytes: bytes.optional(),
  maxResponseBytes: bytes.optional(),
  maxTimeoutSeconds: z.number().positive().optional(),
  minPollIntervalSeconds: z.number().nonnegative().optional(),
  maxLogLinesPerCall: count.optional(),
  maxLogBytesPerCall: bytes.optional(),
  maxLogLinesPerMinute: count.optional(),
  maxLogBytesPerMinute: bytes.optional(),
}) satisfies z.ZodType<PluginConfig>
/** Does not compile when `PluginConfig` gains a setting the schema above does not check. */
const everySettingChecked: [
  Exclude<keyof PluginConfig, keyof z.infer<typeof pluginConfigSchema>>,
] extends [never]
  ? true
  : never = true
void everySettingChecked

/**
 * Reads `CULM_PLUGIN_CONFIG`: JSON of plugin configs by package name. A value of the wrong kind
 * or a setting Culm does not know fails the start, naming the plugin and the setting.
 */
export function parsePluginConfig(value: string | undefined): Record<string, PluginConfig> {
  if (!value) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (error) {
    throw new ServerError('CONFIGURATION', `CULM_PLUGIN_CONFIG is not JSON: ${String(error)}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ServerError(
      'CONFIGURATION',
      'CULM_PLUGIN_CONFIG must be an object of plugin configs by package name',
    )
  }
  const configs: Record<string, PluginConfig> = {}
  for (const [plugin, config] of Object.entries(parsed)) {
    const checked = pluginConfigSchema.safeParse(config)
    if (!checked.success) {
      const problems = checked.error.issues.map((issue) => {
        const where = issue.path.length > 0 ? issue.path.join('.') : '(the config)'
        return `${where}: ${issue.message}`
      })
      throw new ServerError(
        'CONFIGURATION',
        `CULM_PLUGIN_CONFIG for ${plugin} is invalid: ${problems.join('; ')}`,
      )
    }
    configs[plugin] = checked.data as PluginConfig
  }
  return configs
}

function summary(plugin: LoadedPlugin): PluginSummary {
  return {
    name: plugin.name,
    version: plugin.version,
    test: plugin.test,
    components: plugin.components.map((c) => ({
      code: c.code,
      version: c.version,
      name: c.name,
      test: c.test,
      group: c.group ?? null,
      description: c.description ?? '',
      schedule_mode: c.scheduleMode,
      inputs_schema: c.inputs as Record<string, unknown>,
      outputs_schema: c.outputs as Record<string, unknown>,
    })),
    lazy_variables: plugin.lazyVariables,
  }
}

/**
 * Loads the selected plugins into isolates (`@culm/sandbox`) behind one component runner; the
 * test kit's components are marked as test components. A plugin that cannot be loaded is a
 * `CONFIGURATION` error naming it.
 */
export async function loadComponents(
  selection: PluginSelection = 'all',
  options: LoadComponentsOptions = {},
): Promise<LoadedComponents> {
  const directory = options.directory ?? PLUGINS_DIRECTORY
  if (selection === 'all' && !existsSync(directory)) {
    throw new ServerError('CONFIGURATION', `plugin folder ${directory} does not exist`)
  }
  const directories = selection === 'all' ? [directory] : []
  if (options.pluginDirectory) {
    const folder = resolve(options.pluginDirectory)
    if (!existsSync(folder)) {
      throw new ServerError('CONFIGURATION', `CULM_PLUGIN_DIR ${folder} does not exist`)
    }
    directories.push(folder)
  }
  const named = selection === 'all' ? [] : selection
  try {
    const loaded = await loadPlugins({
      directories,
      folders: named.filter((n) => isAbsolute(n)),
      packages: named.filter((n) => !isAbsolute(n)),
      // Packages installed beside the server's working folder first, then Culm's own.
      cwd: process.cwd(),
      packageRoots: [PACKAGE_ROOT],
      fromSource: options.fromSource === true,
      ...(options.config ? { config: options.config } : {}),
      ...(options.onLog ? { onLog: options.onLog } : {}),
    })
    const plugins = loaded.plugins.map(summary)
    return {
      runner: loaded.runner,
      plugins,
      loaded,
      reload: async (name) => {
        const listed = summary(await loaded.reload(name))
        // In place: the server lists the array it was given.
        plugins.splice(
          plugins.findIndex((p) => p.name === name),
          1,
          listed,
        )
        return listed
      },
      close: loaded.close,
    }
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new ServerError('CONFIGURATION', `plugins could not be loaded: ${why}`, { cause: error })
  }
}
