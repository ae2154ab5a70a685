import {
  type Component,
  ComponentRegistry,
  type ComponentRunner,
  type LazyVariable,
} from '@culm/engine'
import { testkitComponents, testkitLazyVariables } from '@culm/plugin-testkit'
import { ServerError } from './errors.js'

/** A loaded plugin as the server lists it. */
export interface PluginSummary {
  name: string
  /** Components meant for tests only. */
  test: boolean
  components: Array<{ code: string; version: string; name: string }>
}

/** The components the engine runs, the plugins they came from, and how to unload them. */
export interface LoadedComponents {
  runner: ComponentRunner
  plugins: PluginSummary[]
  close(): Promise<void>
}

interface InProcessPlugin {
  components: Component[]
  lazy: LazyVariable[]
  test: boolean
}

/** The plugins of `plugins/` that run in process, by folder name. */
const IN_PROCESS_PLUGINS: Record<string, InProcessPlugin> = {
  testkit: { components: testkitComponents, lazy: testkitLazyVariables, test: true },
}

/** The plugin names `CULM_PLUGINS` may list. */
export function knownPlugins(): string[] {
  return Object.keys(IN_PROCESS_PLUGINS)
}

/**
 * Reads `CULM_PLUGINS`: a comma-separated list of plugin names, or `all` (the default) for every
 * plugin of `plugins/`. An unknown name is a `CONFIGURATION` error naming the known ones.
 */
export function parsePluginSelection(value: string | undefined): string[] {
  const names = (value ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')
  if (names.length === 0 || names.includes('all')) return knownPlugins()
  const unknown = names.filter((n) => !(n in IN_PROCESS_PLUGINS))
  if (unknown.length > 0) {
    throw new ServerError(
      'CONFIGURATION',
      `CULM_PLUGINS names unknown plugins: ${unknown.join(', ')}; known: ${knownPlugins().join(', ')} (or all)`,
    )
  }
  return names
}

/** Loads the selected plugins into one component runner. */
export async function loadComponents(
  selection: string[] = knownPlugins(),
): Promise<LoadedComponents> {
  const registry = new ComponentRegistry()
  const plugins: PluginSummary[] = []
  for (const name of selection) {
    const plugin = IN_PROCESS_PLUGINS[name]
    if (!plugin) throw new ServerError('CONFIGURATION', `unknown plugin ${name}`)
    registry.register(...plugin.components.map((c) => ({ ...c, test: c.test ?? plugin.test })))
    registry.registerLazy(...plugin.lazy)
    plugins.push({
      name,
      test: plugin.test,
      components: plugin.components.map((c) => ({
        code: c.code,
        version: c.version ?? 'legacy',
        name: c.name ?? c.code,
      })),
    })
  }
  return { runner: registry, plugins, close: async () => undefined }
}
