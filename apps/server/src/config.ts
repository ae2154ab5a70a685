import { DEFAULT_DATABASE_URL } from '@culm/store'
import { PIPELINE_ACCESS, type PipelineAccessMode } from './access.js'
import { ServerError } from './errors.js'

/** How the server is run; `readConfig` reads it from the environment. */
export interface ServerConfig {
  databaseUrl: string
  host: string
  port: number
  /** Where the engine admin API is mounted (`/engine-admin`). */
  adminPrefix: string
  /** `./path/module.js#exportName` of the engine admin permission function. */
  adminPermission: string | undefined
  /** A token the first admin logs in with, instead of a generated one. */
  adminToken: string | undefined
  /** `CULM_PLUGINS`: the plugins to load. */
  plugins: string | undefined
  /** `CULM_PLUGIN_CONFIG`: what each plugin is granted, as JSON. */
  pluginConfig: string | undefined
  /** `CULM_PLUGIN_DIR`: a folder whose sub-folders are plugins, loaded besides `CULM_PLUGINS`. */
  pluginDir: string | undefined
  /** `CULM_PLUGIN_WATCH=1`: plugins run from their sources and reload when a file changes. */
  pluginWatch: boolean
  /** The largest request body accepted, in bytes. */
  bodyLimit: number
  /** How many engine steps run at once (`CULM_ENGINE_CONCURRENCY`). */
  concurrency: number
  /** How long the engine lease of a server lasts unless renewed (`CULM_LEASE_SECONDS`). */
  leaseSeconds: number
  /**
   * How long the event loop may stay blocked before the process is killed to restart
   * (`CULM_WATCHDOG_SECONDS`, 60; 0 turns the watchdog off).
   */
  watchdogSeconds: number
  /** Who may read and control a pipeline started directly (`CULM_PIPELINE_ACCESS`). */
  pipelineAccess: PipelineAccessMode
  logLevel: string
}

/** The port when neither `CULM_PORT` nor `PORT` is set. */
export const DEFAULT_PORT = 8080

function port(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ServerError(
      'CONFIGURATION',
      `port must be an integer from 0 to 65535, got "${value}"`,
    )
  }
  return n
}

/** Reads the server's settings from environment variables (see the README). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const prefix = (env.CULM_ADMIN_PREFIX ?? '/engine-admin').replace(/\/+$/, '')
  if (prefix !== '' && !prefix.startsWith('/')) {
    throw new ServerError('CONFIGURATION', `CULM_ADMIN_PREFIX must start with /, got "${prefix}"`)
  }
  const bodyLimit = Number(env.CULM_BODY_LIMIT ?? 10 * 1024 * 1024)
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) {
    throw new ServerError('CONFIGURATION', `CULM_BODY_LIMIT must be a positive number of bytes`)
  }
  const concurrency = Number(env.CULM_ENGINE_CONCURRENCY ?? 8)
  if (!Number.isInteger(concurrency) || concurrency <= 0) {
    throw new ServerError('CONFIGURATION', 'CULM_ENGINE_CONCURRENCY must be a positive integer')
  }
  const leaseSeconds = Number(env.CULM_LEASE_SECONDS ?? 30)
  if (!(leaseSeconds > 0)) {
    throw new ServerError('CONFIGURATION', 'CULM_LEASE_SECONDS must be a positive number')
  }
  const watchdogSeconds = Number(env.CULM_WATCHDOG_SECONDS ?? 60)
  if (!(watchdogSeconds >= 0)) {
    throw new ServerError(
      'CONFIGURATION',
      'CULM_WATCHDOG_SECONDS must be a number of seconds (0 turns the watchdog off)',
    )
  }
  const pipelineAccess = env.CULM_PIPELINE_ACCESS || 'owner'
  if (!(PIPELINE_ACCESS as readonly string[]).includes(pipelineAccess)) {
    throw new ServerError(
      'CONFIGURATION',
      `CULM_PIPELINE_ACCESS must be ${PIPELINE_ACCESS.join(' or ')}, got "${pipelineAccess}"`,
    )
  }
  return {
    databaseUrl: env.CULM_DATABASE_URL || DEFAULT_DATABASE_URL,
    host: env.CULM_HOST || '127.0.0.1',
    port: port(env.CULM_PORT || env.PORT || String(DEFAULT_PORT)),
    adminPrefix: prefix,
    adminPermission: env.CULM_ADMIN_PERMISSION || undefined,
    adminToken: env.CULM_ADMIN_TOKEN || undefined,
    plugins: env.CULM_PLUGINS || undefined,
    pluginConfig: env.CULM_PLUGIN_CONFIG || undefined,
    pluginDir: env.CULM_PLUGIN_DIR || undefined,
    pluginWatch: ['1', 'true'].includes(env.CULM_PLUGIN_WATCH ?? ''),
    bodyLimit,
    concurrency,
    leaseSeconds,
    watchdogSeconds,
    pipelineAccess: pipelineAccess as PipelineAccessMode,
    logLevel: env.CULM_LOG_LEVEL || 'info',
  }
}
