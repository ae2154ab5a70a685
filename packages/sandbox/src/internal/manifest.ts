import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { PluginInvalidError } from '../errors.js'

/** A plugin's package.json, checked: who it is and which modules hold its components. */
export interface PluginManifest {
  name: string
  version: string
  directory: string
  /** Absolute paths of the modules that export components and lazy variables. */
  entries: string[]
  /** Every component of the plugin is meant for tests only. */
  test: boolean
}

/**
 * Whether a folder holds a package that declares itself a Culm plugin: a `culm` field (the
 * `culm-plugin` keyword, which lets npm search find it, alone also counts, to be refused with
 * a message when the field is missing).
 */
export function isPluginFolder(directory: string): boolean {
  const file = join(directory, 'package.json')
  if (!existsSync(file)) return false
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { keywords?: unknown; culm?: unknown }
    return (
      (Array.isArray(json.keywords) && json.keywords.includes('culm-plugin')) ||
      json.culm !== undefined
    )
  } catch {
    return true
  }
}

/** The source module of a built one (`src/x.ts` for `dist/x.js`), when it exists. */
export function sourceOf(entry: string): string {
  const match = /^(.*)[\\/]dist[\\/](.*)\.js$/.exec(entry)
  if (!match) return entry
  for (const extension of ['.ts', '.mts', '.js']) {
    const source = join(match[1] as string, 'src', `${match[2]}${extension}`)
    if (existsSync(source)) return source
  }
  return entry
}

/**
 * Reads and checks a plugin's package.json; every problem is a `PluginInvalidError`. With
 * `fromSource`, each component module is read from its source when that exists.
 */
export function readManifest(directory: string, fromSource = false): PluginManifest {
  const file = join(directory, 'package.json')
  let json: Record<string, unknown>
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new PluginInvalidError(directory, `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const name = typeof json.name === 'string' && json.name !== '' ? json.name : directory
  if (name === directory) throw new PluginInvalidError(directory, 'package.json has no name')
  if (typeof json.version !== 'string') {
    throw new PluginInvalidError(name, 'package.json has no version')
  }
  const culm = json.culm as Record<string, unknown> | undefined
  if (typeof culm !== 'object' || culm === null) {
    throw new PluginInvalidError(name, 'package.json has no "culm" field')
  }
  if (culm.apiVersion !== 1) {
    throw new PluginInvalidError(
      name,
      `culm.apiVersion must be 1 (got ${JSON.stringify(culm.apiVersion)})`,
    )
  }
  const components = culm.components
  if (
    !Array.isArray(components) ||
    components.length === 0 ||
    components.some((c) => typeof c !== 'string')
  ) {
    throw new PluginInvalidError(name, 'culm.components must be a non-empty list of module paths')
  }
  if (culm.test !== undefined && typeof culm.test !== 'boolean') {
    throw new PluginInvalidError(name, 'culm.test must be a boolean')
  }
  const peers = json.peerDependencies as Record<string, unknown> | undefined
  if (typeof peers?.['@culm/sdk'] !== 'string') {
    throw new PluginInvalidError(name, 'package.json must list @culm/sdk in peerDependencies')
  }
  const entries = (components as string[]).map((path) => {
    const built = resolve(directory, path)
    const absolute = fromSource ? sourceOf(built) : built
    const inside = relative(directory, absolute)
    if (inside.startsWith('..')) {
      throw new PluginInvalidError(name, `culm.components entry ${path} is outside the package`)
    }
    if (!existsSync(absolute) || !statSync(absolute).isFile()) {
      throw new PluginInvalidError(
        name,
        `culm.components entry ${path} does not exist (is the plugin built?)`,
      )
    }
    return absolute
  })
  return { name, version: json.version, directory, entries, test: culm.test === true }
}
