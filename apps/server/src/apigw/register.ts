import type { ComponentRunner, Engine } from '@culm/engine'
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Kysely } from 'kysely'
import { requireToken } from '../auth/middleware.js'
import type { UserStore } from '../auth/users.js'
import type { ServerDatabase } from '../db/schema.js'
import { type AppEnv, validationHook } from '../http.js'
import type { LegacyEngine } from '../legacy/adapter.js'
import type { PipelineRegistry } from '../pipelines.js'
import { ProjectStore } from '../projects/projects.js'
import { registerProjectRoutes } from '../projects/routes.js'
import { APIGW_SECURITY_SCHEME, registerTaskRoutes } from '../tasks/routes.js'
import { TaskService } from '../tasks/task-service.js'
import { TaskStore } from '../tasks/task-store.js'
import { AppStore } from './apps.js'
import { type ApigwEnv, requireAppCredentials } from './credentials.js'
import { CredentialThrottle, type ThrottleOptions } from './throttle.js'

/** The server's options the task API reads: the store's database and the components. */
export interface TaskApiOptions {
  // biome-ignore lint/suspicious/noExplicitAny: the server's tables live beside the store's
  store: { db: Kysely<any> }
  components: ComponentRunner
  /** Allowances of failed app credential checks (10 per app, 30 per address, a minute). */
  credentialThrottle?: ThrottleOptions
}

/** The server's parts the task API works with. */
export interface TaskApiDeps {
  engine: Engine
  legacy: LegacyEngine
  pipelines: PipelineRegistry
  users: UserStore
  now: () => number
}

/**
 * Mounts the task API (`/apigw/…`, app credentials) and the management of apps and projects
 * (`/api/apps`, `/api/projects`, bearer tokens). Call it before the server's bearer-token
 * middleware: the task API authenticates its own callers.
 */
export function registerTaskApi(
  app: OpenAPIHono<AppEnv>,
  options: TaskApiOptions,
  deps: TaskApiDeps,
): { apps: AppStore; projects: ProjectStore; tasks: TaskStore; service: TaskService } {
  const db = options.store.db as Kysely<ServerDatabase>
  const apps = new AppStore(db, deps.now)
  const projects = new ProjectStore(db, deps.now)
  const tasks = new TaskStore(db)
  const service = new TaskService({ ...deps, components: options.components, tasks })

  const management = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: validationHook as never,
  })
  for (const path of ['/api/apps', '/api/apps/*', '/api/projects', '/api/projects/*']) {
    management.use(path, requireToken(deps.users))
  }
  registerProjectRoutes(management, { apps, projects, users: deps.users, service })
  app.route('/', management)

  const gateway = new OpenAPIHono<ApigwEnv>({ strict: false, defaultHook: validationHook as never })
  gateway.use(
    '/apigw/*',
    requireAppCredentials(apps, deps.users, new CredentialThrottle(options.credentialThrottle)),
  )
  registerTaskRoutes(gateway, { projects, service })
  app.route('/', gateway as unknown as OpenAPIHono<AppEnv>)
  app.openAPIRegistry.registerComponent('securitySchemes', 'bkapi', APIGW_SECURITY_SCHEME)
  return { apps, projects, tasks, service }
}
