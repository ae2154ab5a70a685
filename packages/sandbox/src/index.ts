export { combineRunners } from './combine-runners.js'
export {
  FetchRefusedError,
  PluginBundleError,
  PluginCallError,
  PluginCollisionError,
  PluginInvalidError,
  PluginLoadError,
  SANDBOX_ERROR_CODES,
  SandboxError,
  type SandboxErrorCode,
} from './errors.js'
export { isHostAllowed, type LogTags, type PluginLogEntry } from './internal/bridge.js'
export {
  type LoadedComponent,
  type LoadedPlugin,
  type LoadedPlugins,
  type LoadPluginsOptions,
  loadPlugins,
  type PluginConfig,
} from './load-plugins.js'
export { SandboxRunner } from './sandbox-runner.js'
export { type WatchedPlugins, type WatchPluginsOptions, watchPlugins } from './watch-plugins.js'
