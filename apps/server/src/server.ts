import type { AddressInfo } from 'node:net'
import {
  type Clock,
  type ComponentRunner,
  createEngine,
  type Engine,
  InlineDispatcher,
  type Runtime,
  systemClock,
} from '@culm/engine'
import { serve } from '@hono/node-server'
import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import type { Kysely } from 'kysely'
import { type Logger, pino } from 'pino'
import { PipelineAccess, type PipelineAccessMode } from './access.js'
import { adminAdapters } from './admin/actions.js'
import { type AdminPermission, adminOnly, loadPermission } from './admin/permission.js'
import { registerAdminRoutes } from './admin/routes.js'
import { registerTaskApi } from './apigw/register.js'
import type { ThrottleOptions } from './apigw/throttle.js'
import { requireToken } from './auth/middleware.js'
import { UserStore } from './auth/users.js'
import { registerBambooRoutes } from './bamboo/routes.js'
import { type ConsoleApi, registerConsoleRoutes } from './console/routes.js'
import type { RunEvents } from './console/run-events.js'
import { registerConsoleStatic } from './console/static.js'
import { migrateServer } from './db/migrate.js'
import type { ServerDatabase } from './db/schema.js'
import { codeOf, ServerError } from './errors.js'
import { type AppEnv, sendError, validationHook } from './http.js'
import { limitJsonDepth } from './json-depth.js'
import { LegacyEngine } from './legacy/adapter.js'
import { registerLegacyRoutes } from './legacy/routes.js'
import { type OfflineOptions, registerOffline } from './offline/register.js'
import { PipelineRegistry } from './pipelines.js'
import type { PluginSummary } from './plugins.js'
import { registerSystemRoutes } from './system/routes.js'
import { registerUserRoutes } from './users/routes.js'

/** What `createServer` builds on: an open store, the components, and the surfaces' settings. */
export interface ServerOptions {
  /** An open store (`openRuntime`): its runtime, and the Kysely instance the server's tables share. */
  // biome-ignore lint/suspicious/noExplicitAny: the server's tables live beside the store's
  store: { runtime: Runtime; db: Kysely<any>; flavor: 'mysql' | 'sqlite' }
  components: ComponentRunner
  /** The loaded plugins, for `GET /api/components`. */
  plugins?: PluginSummary[]
  clock?: Clock
  /** Where the engine admin API is mounted (`/engine-admin`). */
  adminPrefix?: string
  /** The engine admin permission function, or `./module.js#name` to load on first use. */
  adminPermission?: AdminPermission | string
  /** How long the admin permission function may take before a call is denied (5000 ms). */
  adminPermissionTimeoutMs?: number
  /** Allowances of failed app credential checks (10 per app, 30 per address, a minute). */
  credentialThrottle?: ThrottleOptions
  /**
   * Who may read and control a pipeline started directly: `owner` (its starter and admins, the
   * default) or `everyone`. A task's pipeline is always its project's.
   */
  pipelineAccess?: PipelineAccessMode
  /** The largest request body accepted, in bytes (10 MiB). */
  bodyLimit?: number
  /** The built console served at `/console` (`apps/console/dist`). */
  consoleDir?: string
  /** How many event streams (`/api/runs/{id}/events`) one user may hold open (8). */
  maxEventStreamsPerUser?: number
  /** How many engine steps run at once (8). */
  concurrency?: number
  /** The offline API: its prefix, user header mode, job files and schedule polling. */
  offline?: OfflineOptions
  logger?: Logger
}

/** A built server: its Hono app, its engine, and ways to listen and to stop. */
export interface CulmServer {
  app: OpenAPIHono<AppEnv>
  engine: Engine
  dispatcher: InlineDispatcher
  users: UserStore
  pipelines: PipelineRegistry
  logger: Logger
  /** The live run events the console's streams read. */
  runEvents: RunEvents
  /** Starts listening (port 0 picks a free one); answers the URL. */
  listen(options?: { port?: number; host?: string }): Promise<{ url: string; port: number }>
  /** Stops accepting requests, lets running engine steps finish, and stops the engine. */
  close(): Promise<void>
}

/**
 * Builds the server over an open store: migrates the server's tables, starts the engine (and
 * recovers what a stopped run left), and mounts every surface.
 * @example
 * const store = await openRuntimeFromEnv()
 * const { runner } = await loadComponents()
 * const server = await createServer({ store, components: runner })
 * const { url } = await server.listen({ port: 8080 })
 */
export async function createServer(options: ServerOptions): Promise<CulmServer> {
  const clock = options.clock ?? systemClock
  const now = () => clock.now()
  const logger = options.logger ?? pino({ level: 'silent' })
  const db = options.store.db as unknown as Kysely<ServerDatabase>
  await migrateServer(db, options.store.flavor)

  const dispatcher = new InlineDispatcher({
    clock,
    concurrency: options.concurrency ?? 8,
    onError: (error, task) => logger.error({ err: error, task }, 'engine step failed'),
  })
  const engine = createEngine({
    runtime: options.store.runtime,
    dispatcher,
    components: options.components,
    clock,
    hooks: {
      stateChanged: ({ rootId }) => consoleApi?.events.changed(rootId),
      componentResultDiscarded: (event) =>
        logger.warn(event, 'a component answered after its node moved on; the answer is dropped'),
      stepFailed: ({ error, ...event }) =>
        logger.error({ ...event, err: error }, 'an engine step failed; its node is FAILED'),
    },
  })
  let consoleApi: ConsoleApi | undefined
  const users = new UserStore(db, now)
  const pipelines = new PipelineRegistry(db, now)
  const legacy = new LegacyEngine(engine, pipelines, now)

  let permission: Promise<AdminPermission> | undefined
  const spec = options.adminPermission ?? adminOnly
  const getPermission = (): Promise<AdminPermission> => {
    if (typeof spec === 'function') return Promise.resolve(spec)
    permission ??= loadPermission(spec)
    // A module that failed to load is tried again on the next call, as Python imports per call.
    permission.catch(() => {
      permission = undefined
    })
    return permission
  }

  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook as never })
  app.use(async (c, next) => {
    const started = performance.now()
    await next()
    const user = c.get('user') as { id: number } | undefined
    logger.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(user ? { user: user.id } : {}),
      },
      'request',
    )
  })
  const offline = registerOffline(app, options.offline ?? {}, {
    db: options.store.db,
    engine,
    components: options.components,
    pipelines,
    users,
    access: options.pipelineAccess ?? 'owner',
    now,
    logger,
  })
  app.use(
    bodyLimit({
      maxSize: options.bodyLimit ?? 10 * 1024 * 1024,
      onError: (c) =>
        sendError(
          c,
          new ServerError(
            'PAYLOAD_TOO_LARGE',
            `request body larger than ${options.bodyLimit ?? 10 * 1024 * 1024} bytes`,
          ),
        ),
    }),
  )
  app.use(limitJsonDepth())
  const taskApi = registerTaskApi(app, options, { engine, legacy, pipelines, users, now })
  registerConsoleStatic(app, options.consoleDir)
  app.use(requireToken(users))
  registerSystemRoutes(app, {
    db: options.store.db,
    flavor: options.store.flavor,
    plugins: options.plugins ?? [],
  })
  registerUserRoutes(app, users)
  const access = new PipelineAccess(db, engine.runtime, {
    ...(options.pipelineAccess ? { mode: options.pipelineAccess } : {}),
    now,
  })
  registerBambooRoutes(app, { engine, pipelines, access })
  registerLegacyRoutes(app, legacy, access)
  consoleApi = registerConsoleRoutes(app, {
    db: db as never,
    engine,
    access,
    users,
    projects: taskApi.projects,
    tasks: taskApi.service,
    components: options.components,
    now,
    events: {
      ...(options.maxEventStreamsPerUser
        ? { maxStreamsPerUser: options.maxEventStreamsPerUser }
        : {}),
      onError: (error, rootId) => logger.warn({ err: error, rootId }, 'a run could not be read'),
    },
  })
  registerAdminRoutes(app, {
    prefix: options.adminPrefix ?? '/engine-admin',
    adapters: adminAdapters(engine, pipelines, legacy),
    permission: getPermission,
    ...(options.adminPermissionTimeoutMs === undefined
      ? {}
      : { permissionTimeoutMs: options.adminPermissionTimeoutMs }),
    onPermissionFailure: ({ error, ...call }) =>
      logger.warn({ ...call, err: error }, 'the admin permission function failed; call denied'),
    onAction: async ({ user, engineType, action, instanceId, body }) => {
      const rootId = await access.rootOf(instanceId)
      const task = await access.taskOfRoot(rootId)
      if (!task) return
      await access.logAdminAction(task, {
        user,
        action,
        nodeId: instanceId === rootId ? null : instanceId,
        detail: { engine_type: engineType, ...body },
      })
    },
  })
  app.notFound((c) =>
    sendError(c, new ServerError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)),
  )
  app.onError((error, c) => {
    if (codeOf(error) === 'INTERNAL' && !(error instanceof ServerError) && !isHttpError(error)) {
      logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed')
    }
    return sendError(c, error)
  })

  const recovered = await engine.recover()
  if (recovered.processes + recovered.schedules > 0) logger.info(recovered, 'recovered')

  let server: ReturnType<typeof serve> | undefined
  let closing: Promise<void> | undefined
  return {
    app,
    engine,
    dispatcher,
    users,
    pipelines,
    logger,
    runEvents: consoleApi.events,
    listen: ({ port = 0, host = '127.0.0.1' } = {}) =>
      new Promise((resolve, reject) => {
        const started = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
          const shown = info.address.includes(':') ? `[${info.address}]` : info.address
          resolve({ url: `http://${shown}:${info.port}`, port: info.port })
        })
        started.once('error', reject)
        server = started
      }),
    close: () => {
      closing ??= (async () => {
        await offline.close()
        // Open event streams would keep the server from closing.
        consoleApi?.events.close()
        if (server) {
          const open = server
          await new Promise<void>((resolve) => {
            // Connections whose last answer (an event stream that just ended) is still going out
            // become idle a moment later: close them then, not at the keep-alive timeout.
            const idle =
              'closeIdleConnections' in open
                ? setInterval(() => open.closeIdleConnections(), 50)
                : undefined
            open.close(() => {
              clearInterval(idle)
              resolve()
            })
            if ('closeIdleConnections' in open) open.closeIdleConnections()
          })
        }
        dispatcher.close()
        await dispatcher.idle()
      })()
      return closing
    },
  }
}

function isHttpError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'getResponse' in error
}
