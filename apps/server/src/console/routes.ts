import type { Engine } from '@culm/engine'
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Kysely } from 'kysely'
import type { PipelineAccess } from '../access.js'
import type { AppEnv } from '../http.js'
import { type ConsoleDatabase, RunReader } from './run-reader.js'
import { registerRunRoutes } from './runs.js'

/** What the console's routes read and act through. */
export interface ConsoleDeps {
  db: Kysely<ConsoleDatabase>
  engine: Engine
  access: PipelineAccess
}

/** Mounts the console's API: runs and their nodes. */
export function registerConsoleRoutes(app: OpenAPIHono<AppEnv>, deps: ConsoleDeps): void {
  const runs = new RunReader(deps.db, deps.engine, deps.access)
  registerRunRoutes(app, runs)
}
