import type { JsonSchema } from '../common/SchemaForm.js'
import { call } from '../providers.js'
import type { ActionInput } from '../runs/AdminActionButton.js'
import { retryInputs } from '../runs/admin-actions.js'

/** A component of a loaded plugin, as `GET /api/components` lists it. */
export interface ComponentInfo {
  code: string
  version: string
  name: string
  test?: boolean
  description?: string
  inputs_schema?: JsonSchema | null
  outputs_schema?: JsonSchema | null
}

/** A loaded plugin and its components. */
export interface PluginInfo {
  name: string
  version: string
  test?: boolean
  components: ComponentInfo[]
  lazy_variables?: string[]
}

let loaded: Promise<PluginInfo[]> | null = null

/** The loaded plugins, asked once per page load. */
export function loadPlugins(): Promise<PluginInfo[]> {
  loaded ??= call<PluginInfo[]>('GET', '/api/components').catch((error: unknown) => {
    loaded = null
    throw error
  })
  return loaded
}

/** The component of a code and version (the newest of that code when the version is unknown). */
export function findComponent(
  plugins: PluginInfo[],
  code: string,
  version?: string | null,
): ComponentInfo | undefined {
  const all = plugins.flatMap((p) => p.components).filter((c) => c.code === code)
  return all.find((c) => c.version === version) ?? all[all.length - 1]
}

/**
 * The input of a node's retry: the inputs it ran with, in its component's form when the
 * component is known (the plugins are then loaded; a failure to load them rejects).
 */
export async function retryInput(
  inputs: unknown,
  component: { code: string; version?: string | null | undefined } | null | undefined,
): Promise<ActionInput> {
  const found = component
    ? findComponent(await loadPlugins(), component.code, component.version)
    : undefined
  return { kind: 'inputs', schema: found?.inputs_schema ?? null, initial: retryInputs(inputs) }
}
