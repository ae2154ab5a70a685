export {
  ADMIN_ACTIONS,
  ADMIN_VIEWS,
  type AdminAction,
  type AdminView,
  type EngineAdapter,
  FORCED_FAIL_EX_DATA,
} from './admin/actions.js'
export {
  type AdminPermission,
  type AdminRequest,
  adminOnly,
  loadPermission,
  PERMISSION_DENIED,
  PERMISSION_IMPORT_ERROR,
} from './admin/permission.js'
export { ensureAdmin, hashToken, type User, UserStore } from './auth/users.js'
export { BAMBOO_FUNCTIONS } from './bamboo/functions.js'
export { DEFAULT_PORT, readConfig, type ServerConfig } from './config.js'
export { migrateServer, SERVER_MIGRATION_LOCK_TABLE, SERVER_MIGRATION_TABLE } from './db/migrate.js'
export { HTTP_STATUS, SERVER_ERROR_CODES, ServerError, type ServerErrorCode } from './errors.js'
export { LegacyEngine } from './legacy/adapter.js'
export { LEGACY_FUNCTIONS } from './legacy/routes.js'
/** The offline API's settings (`ServerOptions.offline`) and how they are read from the environment. */
export { readOfflineConfig } from './offline/config.js'
export type { OfflineOptions } from './offline/register.js'
export { ENGINE_TYPES, type EngineType, PipelineRegistry } from './pipelines.js'
export {
  type LoadComponentsOptions,
  type LoadedComponents,
  loadComponents,
  PLUGINS_DIRECTORY,
  type PluginSelection,
  type PluginSummary,
  parsePluginConfig,
  parsePluginSelection,
} from './plugins.js'
export { type CulmServer, createServer, type ServerOptions } from './server.js'
export { startFromEnv } from './start.js'
export { startWatchdog, type Watchdog } from './watchdog.js'
