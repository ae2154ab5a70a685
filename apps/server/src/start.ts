import { type PluginLogEntry, watchPlugins } from '@culm/sandbox'
import { maskUrl, openRuntime } from '@culm/store'
import type { Kysely } from 'kysely'
import { pino } from 'pino'
import { loadPermission } from './admin/permission.js'
import { ensureAdmin } from './auth/users.js'
import { readConfig } from './config.js'
import { migrateServer } from './db/migrate.js'
import type { ServerDatabase } from './db/schema.js'
import { EngineLease } from './lease.js'
import { readOfflineConfig } from './offline/config.js'
import { loadComponents, parsePluginConfig, parsePluginSelection } from './plugins.js'
import { createServer } from './server.js'
import { startWatchdog } from './watchdog.js'

/** A started server and how to stop it (the server, then the plugins, then the store). */
export interface StartedServer {
  url: string
  /** The first admin's token when this start created it, else null. */
  adminToken: string | null
  stop(): Promise<void>
}

/**
 * Starts the server as `npm start` does, from the environment: opens and migrates the database,
 * loads the plugins and the admin permission function (a module that cannot be loaded fails the
 * start), makes sure an admin exists, and listens.
 */
export async function startFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<StartedServer> {
  const config = readConfig(env)
  const offline = readOfflineConfig(env)
  const logger = pino({ level: config.logLevel })
  const selection = parsePluginSelection(config.plugins)
  const pluginConfig = parsePluginConfig(config.pluginConfig)
  const permission = config.adminPermission
    ? await loadPermission(config.adminPermission)
    : undefined
  const store = await openRuntime(config.databaseUrl)
  const db = store.db as unknown as Kysely<ServerDatabase>
  const lease = new EngineLease(db, {
    ttlMs: config.leaseSeconds * 1000,
    // Another server took the engine over (this one could not renew its lease in time): running
    // on would run the same steps twice. Stop at once; a supervisor starts this server again.
    onLost: (holder) => {
      logger.fatal(
        { holder },
        'the engine lease was taken over by another server; stopping so that steps run once',
      )
      process.exit(1)
    },
  })
  // From before the engine picks up what a stopped run left behind: a step that blocks the event
  // loop then gets the process killed, and its node quarantined after a few restarts.
  const watchdog = config.watchdogSeconds > 0 ? startWatchdog(config.watchdogSeconds) : null
  try {
    // Before anything runs the engine: a second server on this database refuses to start.
    await migrateServer(db, store.flavor)
    const { tookOverFrom } = await lease.acquire({
      onWait: (holder, until) =>
        logger.warn(
          { holder, until: new Date(until).toISOString() },
          'waiting for the engine lease of a server that no longer runs to run out',
        ),
    })
    if (tookOverFrom) {
      logger.warn(
        { holder: tookOverFrom },
        'took the engine lease over: its holder stopped renewing it',
      )
    }
    const components = await loadComponents(selection, {
      config: pluginConfig,
      ...(config.pluginDir ? { pluginDirectory: config.pluginDir } : {}),
      fromSource: config.pluginWatch,
      onLog: (entry: PluginLogEntry) => {
        const { level, message, ...fields } = entry
        logger[level](fields, message)
      },
    })
    const stopWatching = config.pluginWatch
      ? watchPlugins(
          { plugins: components.loaded.plugins, reload: components.reload },
          {
            onReload: (plugin) => logger.info({ plugin }, 'plugin reloaded'),
            onError: (plugin, error) =>
              logger.error(
                { plugin, err: error instanceof Error ? error.message : String(error) },
                'plugin reload failed; its previous version stays loaded',
              ),
          },
        )
      : null
    const server = await createServer({
      store,
      components: components.runner,
      plugins: components.plugins,
      adminPrefix: config.adminPrefix,
      ...(permission ? { adminPermission: permission } : {}),
      bodyLimit: config.bodyLimit,
      concurrency: config.concurrency,
      pipelineAccess: config.pipelineAccess,
      offline,
      logger,
    })
    const adminToken = await ensureAdmin(server.users, config.adminToken)
    const { url } = await server.listen({ port: config.port, host: config.host })
    logger.info(
      {
        url,
        node: process.version,
        database: maskUrl(config.databaseUrl),
        plugins: components.plugins.map((p) => p.name),
      },
      'listening',
    )
    return {
      url,
      adminToken: config.adminToken ? null : adminToken,
      stop: async () => {
        stopWatching?.()
        await watchdog?.stop()
        await server.close()
        await components.close()
        await lease.release()
        await store.close()
      },
    }
  } catch (error) {
    await watchdog?.stop()
    await lease.release().catch(() => undefined)
    await store.close()
    throw error
  }
}
