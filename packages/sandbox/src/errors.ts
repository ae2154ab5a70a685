/** The codes of the sandbox's errors; the bridge passes `{ code, message }`, never classes. */
export const SANDBOX_ERROR_CODES = [
  'PLUGIN_INVALID',
  'PLUGIN_BUNDLE',
  'PLUGIN_COLLISION',
  'PLUGIN_LOAD',
  'PLUGIN_CALL',
  'FETCH_REFUSED',
] as const
export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number]

/** Base class of the sandbox's errors. */
export class SandboxError extends Error {
  override readonly name: string = 'SandboxError'
  readonly code: SandboxErrorCode

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** A plugin whose manifest, components or schemas are invalid. */
export class PluginInvalidError extends SandboxError {
  override readonly name = 'PluginInvalidError'
  readonly plugin: string

  constructor(plugin: string, problem: string, options?: { cause?: unknown }) {
    super('PLUGIN_INVALID', `plugin ${plugin}: ${problem}`, options)
    this.plugin = plugin
  }
}

/** A plugin whose code cannot be bundled, e.g. because it imports a Node built-in. */
export class PluginBundleError extends SandboxError {
  override readonly name = 'PluginBundleError'
  readonly plugin: string

  constructor(plugin: string, problems: string[]) {
    super('PLUGIN_BUNDLE', `plugin ${plugin} cannot be bundled: ${problems.join('; ')}`)
    this.plugin = plugin
  }
}

/** A component code (or lazy variable code) that another plugin already declares. */
export class PluginCollisionError extends SandboxError {
  override readonly name = 'PluginCollisionError'
  readonly plugin: string

  constructor(plugin: string, what: string, other: string) {
    super('PLUGIN_COLLISION', `plugin ${plugin}: ${what} is already declared by plugin ${other}`)
    this.plugin = plugin
  }
}

/** One or more plugins were refused; `problems` lists each with its reason. */
export class PluginLoadError extends SandboxError {
  override readonly name = 'PluginLoadError'
  readonly problems: Array<{ plugin: string; code: SandboxErrorCode; message: string }>

  constructor(problems: Array<{ plugin: string; code: SandboxErrorCode; message: string }>) {
    super(
      'PLUGIN_LOAD',
      `${problems.length} plugin(s) refused:\n${problems.map((p) => `- ${p.message}`).join('\n')}`,
    )
    this.problems = problems
  }
}

/** A call into a plugin that could not complete: limits, a dead isolate, an invalid answer. */
export class PluginCallError extends SandboxError {
  override readonly name = 'PluginCallError'
  readonly plugin: string

  constructor(plugin: string, message: string, options?: { cause?: unknown }) {
    super('PLUGIN_CALL', message, options)
    this.plugin = plugin
  }
}

/** A fetch to a host the plugin's configuration does not allow. */
export class FetchRefusedError extends SandboxError {
  override readonly name = 'FetchRefusedError'
  readonly plugin: string

  constructor(plugin: string, message: string) {
    super('FETCH_REFUSED', message)
    this.plugin = plugin
  }
}
