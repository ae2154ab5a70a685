import type { ComponentRunner, Engine } from '@culm/engine'
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Kysely } from 'kysely'
import type { PipelineAccess } from '../access.js'
import type { UserStore } from '../auth/users.js'
import type { AppEnv } from '../http.js'
import type { ProjectStore } from '../projects/projects.js'
import type { TaskService } from '../tasks/task-service.js'
import { registerRunEventRoutes } from './events.js'
import { registerOperationRoutes } from './operations.js'
import { RunEvents, type RunEventsOptions } from './run-events.js'
import { type ConsoleDatabase, RunReader } from './run-reader.js'
import { registerRunRoutes } from './runs.js'
import { StuckRuns } from './stuck.js'
import { registerStuckRoutes } from './stuck-routes.js'
import { registerTaskConsoleRoutes } from './tasks.js'

/** What the console's routes read and act through. */
export interface ConsoleDeps {
  db: Kysely<ConsoleDatabase>
  engine: Engine
  access: PipelineAccess
  users: UserStore
  projects: ProjectStore
  tasks: TaskService
  components: ComponentRunner
  now: () => number
  events?: RunEventsOptions
}

/** The parts of the console's API the server keeps: the live run events. */
export interface ConsoleApi {
  events: RunEvents
}

/**
 * Mounts the console's API: runs, their nodes and live events, stuck runs, the operation log,
 * tokens, task creation and tree validation.
 */
export function registerConsoleRoutes(app: OpenAPIHono<AppEnv>, deps: ConsoleDeps): ConsoleApi {
  const runs = new RunReader(deps.db, deps.engine, deps.access)
  const events = new RunEvents(runs, deps.events)
  registerRunRoutes(app, runs)
  registerRunEventRoutes(app, { runs, events })
  registerStuckRoutes(app, new StuckRuns({ db: deps.db, runs, now: deps.now }))
  registerOperationRoutes(app, { db: deps.db, users: deps.users })
  registerTaskConsoleRoutes(app, {
    projects: deps.projects,
    service: deps.tasks,
    components: deps.components,
  })
  return { events }
}
