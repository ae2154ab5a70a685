import type { Engine } from '@culm/engine'
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { PipelineAccess } from '../access.js'
import { assertEngineType } from '../engine-types.js'
import { codeOf, HTTP_STATUS, ServerError } from '../errors.js'
import { type AppEnv, BEARER, errorSchema, sendError } from '../http.js'
import { resultJson } from '../json.js'
import type { PipelineRegistry } from '../pipelines.js'
import { BAMBOO_FUNCTIONS } from './functions.js'

/** The answer of every bamboo function: `EngineAPIResult` as JSON. */
export const engineResultSchema = z
  .object({
    result: z.boolean(),
    message: z.string(),
    data: z.unknown(),
    exc: z.string().nullable(),
    problems: z
      .array(z.object({ kind: z.string(), code: z.string(), message: z.string() }))
      .optional()
      .describe('run_pipeline: every problem the validator found'),
  })
  .openapi('EngineAPIResult')

const BAMBOO_NAMES = new Set(BAMBOO_FUNCTIONS.map((f) => f.name))

/**
 * `POST /api/bamboo/{function_name}`: every function of `bamboo_engine.api`, its keyword arguments
 * as the JSON body. A refusal keeps the `EngineAPIResult` body with a 4xx status: 404 for an
 * unknown id, 409 for a state that refuses the call, 400 for a tree the validator refuses.
 */
export function registerBambooRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: { engine: Engine; pipelines: PipelineRegistry; access: PipelineAccess },
): void {
  for (const fn of BAMBOO_FUNCTIONS) {
    const route = createRoute({
      method: 'post',
      path: `/api/bamboo/${fn.name}`,
      tags: ['bamboo API'],
      summary: fn.summary,
      operationId: `bamboo_${fn.name}`,
      security: BEARER,
      request: { body: { content: { 'application/json': { schema: fn.body } }, required: true } },
      responses: {
        200: {
          description: 'The EngineAPIResult',
          content: { 'application/json': { schema: engineResultSchema } },
        },
        400: {
          description: 'A malformed body',
          content: { 'application/json': { schema: errorSchema } },
        },
        404: {
          description: 'An unknown id (EngineAPIResult with result false)',
          content: { 'application/json': { schema: engineResultSchema } },
        },
        409: {
          description: 'A state that refuses the call (EngineAPIResult with result false)',
          content: { 'application/json': { schema: engineResultSchema } },
        },
      },
    })
    app.openapi(route, (async (c: Parameters<Parameters<typeof app.openapi>[1]>[0]) => {
      const body = (c.req as unknown as { valid(t: 'json'): unknown }).valid('json')
      const target = fn.target?.(body as never)
      if (target !== undefined) {
        await assertEngineType(deps.engine.runtime, deps.pipelines, target, 'bamboo_engine')
      }
      // The tree given to run_pipeline or preview_node_inputs is the caller's own.
      const owned = fn.kind === 'start' || fn.name === 'preview_node_inputs'
      const task = owned
        ? null
        : await deps.access.authorize(c.get('user'), body, fn.kind !== 'read')
      const result = await fn.call(deps.engine.api, body as never)
      if (task) {
        await deps.access.logControl(task, {
          user: c.get('user'),
          surface: 'bamboo_engine',
          operation: fn.name,
          nodeId: (body as { node_id?: string }).node_id ?? null,
          detail: { ...(body as object), result: result.result, message: result.message },
        })
      }
      if (result.result && fn.kind === 'start') {
        const pipelineId = (result.data as { pipeline_id: string }).pipeline_id
        await deps.pipelines.record(pipelineId, 'bamboo_engine', c.get('user').id)
      }
      const json: Record<string, unknown> = { ...resultJson(result) }
      const problems = (result.exc as { problems?: unknown } | undefined)?.problems
      if (Array.isArray(problems))
        json.problems = problems.map((p) => ({ kind: p.kind, code: p.code, message: p.message }))
      const status = result.result ? 200 : HTTP_STATUS[codeOf(result.exc)]
      return c.json(json, status as 200)
    }) as never)
  }
  app.all('/api/bamboo/:name', (c) => {
    const name = c.req.param('name')
    if (!BAMBOO_NAMES.has(name)) {
      return sendError(c, new ServerError('NOT_FOUND', `bamboo function ${name} does not exist`))
    }
    c.header('Allow', 'POST')
    return sendError(
      c,
      new ServerError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed; use POST`),
    )
  })
}
