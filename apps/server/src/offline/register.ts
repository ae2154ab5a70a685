import type { ComponentRunner, Engine } from '@culm/engine'
import type { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { PipelineAccessMode } from '../access.js'
import type { UserStore } from '../auth/users.js'
import type { ServerDatabase } from '../db/schema.js'
import { ServerError } from '../errors.js'
import type { AppEnv } from '../http.js'
import { processName } from '../lease.js'
import type { PipelineRegistry } from '../pipelines.js'
import { envelopeError } from './envelope.js'
import { JobFiles } from './files.js'
import { documentOfflineRoutes } from './openapi.js'
import { offlineRoutes } from './routes.js'
import { OfflineRuns } from './runs.js'
import { localTimeZone } from './schedule.js'
import { OfflineScheduler } from './scheduler.js'
import { OfflineTemplates } from './templates.js'
import type { UserMode } from './users.js'

/** The settings of the offline API. */
export interface OfflineOptions {
  /** Where `engine-manager/…` and `engine/…` are mounted ('' : the server's root). */
  prefix?: string
  /** How `X-FlowEngine-UserId` is trusted (`token`, the default, or `trusted`). */
  userMode?: UserMode
  /** A folder for uploaded job files; without it they are kept in the database. */
  fileDirectory?: string
  /** The largest job file accepted, in bytes (5 MiB). */
  fileLimit?: number
  /** How often the schedules are looked at, in ms (500). */
  pollMs?: number
  /** The time zone of cron expressions whose template names none (the process's own). */
  timezone?: string
}

/** The offline API's parts a server keeps. */
export interface OfflineSurface {
  /** Stops the scheduler; call it before the engine stops. */
  close(): Promise<void>
}

/**
 * Mounts the offline API (see `offlineRoutes`) with its own body limit and envelope errors, and
 * starts its scheduler. Call it before the server's body limit and bearer-token middleware: the
 * offline API reads its own bodies and authenticates by `X-FlowEngine-UserId`.
 */
export function registerOffline(
  app: OpenAPIHono<AppEnv>,
  options: OfflineOptions,
  deps: {
    // biome-ignore lint/suspicious/noExplicitAny: the server's tables live beside the store's
    db: Kysely<any>
    engine: Engine
    components: ComponentRunner
    pipelines: PipelineRegistry
    users: UserStore
    access: PipelineAccessMode
    now: () => number
    logger: Logger
  },
): OfflineSurface {
  const db = deps.db as Kysely<ServerDatabase>
  const prefix = (options.prefix ?? '').replace(/\/+$/, '')
  const fileLimit = options.fileLimit ?? 5 * 1024 * 1024
  const server = processName()
  const templates = new OfflineTemplates({
    ...deps,
    db,
    timezone: options.timezone ?? localTimeZone(),
  })
  const runs = new OfflineRuns({ ...deps, db, templates, server })
  const files = new JobFiles(
    db,
    { directory: options.fileDirectory, maxBytes: fileLimit },
    deps.now,
  )
  // Room for the multipart framing around the largest file.
  const maxSize = fileLimit + 64 * 1024
  for (const path of [`${prefix}/engine-manager/*`, `${prefix}/engine/*`]) {
    app.use(
      path,
      bodyLimit({
        maxSize,
        onError: (c) =>
          envelopeError(
            c,
            new ServerError('PAYLOAD_TOO_LARGE', `request body larger than ${maxSize} bytes`),
          ),
      }),
    )
  }
  app.route(
    '/',
    offlineRoutes({
      prefix,
      templates,
      runs,
      files,
      users: deps.users,
      userMode: options.userMode ?? 'token',
      logger: deps.logger,
    }),
  )
  documentOfflineRoutes(app, prefix)
  const scheduler = new OfflineScheduler({
    db,
    templates,
    runs,
    now: deps.now,
    pollMs: options.pollMs ?? 500,
    logger: deps.logger,
  })
  scheduler.start()
  return { close: () => scheduler.close() }
}
