import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type Kysely, sql } from 'kysely'
import type { AppEnv } from '../http.js'
import type { PluginSummary } from '../plugins.js'
import { renderDocs } from './docs-page.js'

/** The OpenAPI document's header. */
export const OPENAPI_INFO = {
  title: 'Culm',
  version: '0.1.0',
  description:
    'The bamboo engine API, the older pipeline_engine API and the engine admin API over one engine.',
}

/** `GET /healthz`, `GET /openapi.json`, `GET /docs` (all anonymous) and `GET /api/components`. */
export function registerSystemRoutes(
  app: OpenAPIHono<AppEnv>,
  // biome-ignore lint/suspicious/noExplicitAny: any database answers select 1
  deps: { db: Kysely<any>; flavor: string; plugins: PluginSummary[] },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['operations'],
      summary: 'Whether the server and its database answer',
      responses: {
        200: {
          description: 'Healthy',
          content: {
            'application/json': {
              schema: z.object({ status: z.literal('ok'), database: z.string() }),
            },
          },
        },
        503: {
          description: 'The database does not answer',
          content: {
            'application/json': {
              schema: z.object({
                status: z.literal('unavailable'),
                database: z.string(),
                message: z.string(),
              }),
            },
          },
        },
      },
    }),
    (async (c: Context<AppEnv>) => {
      try {
        await sql`select 1`.execute(deps.db)
        return c.json({ status: 'ok', database: deps.flavor }, 200)
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error)
        return c.json({ status: 'unavailable', database: deps.flavor, message }, 503)
      }
    }) as never,
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/components',
      tags: ['operations'],
      summary: 'The loaded plugins and their components (test kit components marked test)',
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'The plugins',
          content: {
            'application/json': {
              schema: z.array(
                z.object({
                  name: z.string(),
                  version: z.string(),
                  test: z.boolean(),
                  components: z.array(
                    z.object({
                      code: z.string(),
                      version: z.string(),
                      name: z.string(),
                      test: z.boolean(),
                      group: z.string().nullable(),
                      description: z.string(),
                      schedule_mode: z.enum(['none', 'poll', 'callback', 'multi_callback']),
                      inputs_schema: z
                        .record(z.string(), z.unknown())
                        .describe('JSON Schema of the inputs: an object, one property per key'),
                      outputs_schema: z
                        .record(z.string(), z.unknown())
                        .describe('JSON Schema of the outputs'),
                    }),
                  ),
                  lazy_variables: z.array(z.string()),
                }),
              ),
            },
          },
        },
      },
    }),
    (c) => c.json(deps.plugins, 200),
  )
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token: npm start prints the first admin token',
  })
  const document = () => app.getOpenAPI31Document({ openapi: '3.1.0', info: OPENAPI_INFO })
  let cached: ReturnType<typeof document> | undefined
  app.get('/openapi.json', (c) => {
    cached ??= document()
    return c.json(cached)
  })
  app.get('/docs', (c) => {
    cached ??= document()
    return c.html(renderDocs(cached as unknown as Parameters<typeof renderDocs>[0]))
  })
}
