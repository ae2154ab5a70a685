import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type AppEnv, BEARER, decimalInteger } from '../http.js'
import { ENGINE_TYPES } from '../pipelines.js'
import { epochMs, fail, listOf, listQuery, pageOf, valid } from './lists.js'
import {
  NODE_SORTS,
  type NodeSort,
  RUN_SORTS,
  type RunFilter,
  type RunReader,
  type RunSort,
} from './run-reader.js'
import { engineId, graphSchema, nodeDetailSchema, nodeStateSchema, runSchema } from './schemas.js'

const stateFilter = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Z_]+$/, 'must be a bamboo state such as RUNNING')
const denied = {
  400: fail('A malformed id or filter'),
  403: fail('The caller may not read this run'),
  404: fail('No such run or node'),
}

/**
 * `GET /api/runs` (filtered, sorted, paged), `GET /api/runs/{id}`, `GET /api/runs/{id}/graph`,
 * `GET /api/runs/{id}/nodes` and `GET /api/runs/{id}/nodes/{node_id}`.
 */
export function registerRunRoutes(app: OpenAPIHono<AppEnv>, runs: RunReader): void {
  const route = (
    config: Parameters<typeof createRoute>[0],
    handler: (c: Context<AppEnv>) => Promise<Response>,
  ) =>
    app.openapi(createRoute({ tags: ['console'], security: BEARER, ...config }), handler as never)

  route(
    {
      method: 'get',
      path: '/api/runs',
      summary: 'A page of the runs the caller may read (both engine types), filtered and sorted',
      request: {
        query: z.object({
          state: stateFilter.optional(),
          engine_type: z.enum(ENGINE_TYPES).optional(),
          project_id: decimalInteger(1, Number.MAX_SAFE_INTEGER).optional(),
          task_id: decimalInteger(1, Number.MAX_SAFE_INTEGER).optional(),
          task_name: z.string().min(1).max(128).optional(),
          started_after: epochMs.optional(),
          started_before: epochMs.optional(),
          q: z.string().min(1).max(128).optional().describe('A run id, or part of a task name'),
          ...listQuery(RUN_SORTS),
        }),
      },
      responses: {
        200: {
          description: 'The runs, newest first unless sorted otherwise',
          content: { 'application/json': { schema: listOf(runSchema) } },
        },
        400: fail('A malformed filter'),
      },
    },
    async (c) => {
      const q = valid<
        RunFilter & { page?: number; per_page?: number; sort?: RunSort; order?: 'asc' | 'desc' }
      >(c, 'query')
      const answer = await runs.list(c.get('user'), q, {
        ...pageOf(q),
        ...(q.sort ? { sort: q.sort } : {}),
        ...(q.order ? { order: q.order } : {}),
      })
      return c.json(answer, 200)
    },
  )
  route(
    {
      method: 'get',
      path: '/api/runs/{id}',
      summary: 'One run',
      request: { params: z.object({ id: engineId }) },
      responses: {
        200: { description: 'The run', content: { 'application/json': { schema: runSchema } } },
        ...denied,
      },
    },
    async (c) => c.json(await runs.get(c.get('user'), valid<{ id: string }>(c, 'param').id), 200),
  )
  route(
    {
      method: 'get',
      path: '/api/runs/{id}/graph',
      summary: "A run's tree and the state of each of its nodes (subprocesses' nodes included)",
      request: { params: z.object({ id: engineId }) },
      responses: {
        200: {
          description: 'The graph',
          content: { 'application/json': { schema: graphSchema } },
        },
        ...denied,
      },
    },
    async (c) => c.json(await runs.graph(c.get('user'), valid<{ id: string }>(c, 'param').id), 200),
  )
  route(
    {
      method: 'get',
      path: '/api/runs/{id}/nodes',
      summary: "A page of a run's node states",
      request: {
        params: z.object({ id: engineId }),
        query: z.object({ state: stateFilter.optional(), ...listQuery(NODE_SORTS) }),
      },
      responses: {
        200: {
          description: 'The node states, with id = node_id',
          content: {
            'application/json': {
              schema: listOf(nodeStateSchema.extend({ id: z.string() })),
            },
          },
        },
        ...denied,
      },
    },
    async (c) => {
      const { id } = valid<{ id: string }>(c, 'param')
      const q = valid<{
        state?: string
        page?: number
        per_page?: number
        sort?: NodeSort
        order?: 'asc' | 'desc'
      }>(c, 'query')
      const answer = await runs.nodes(c.get('user'), id, {
        state: q.state,
        ...pageOf(q),
        ...(q.sort ? { sort: q.sort } : {}),
        ...(q.order ? { order: q.order } : {}),
      })
      return c.json(answer, 200)
    },
  )
  route(
    {
      method: 'get',
      path: '/api/runs/{id}/nodes/{node_id}',
      summary: 'One node of a run: state, inputs, outputs, ex_data, histories, schedule, callbacks',
      request: { params: z.object({ id: engineId, node_id: engineId }) },
      responses: {
        200: {
          description: 'The node',
          content: { 'application/json': { schema: nodeDetailSchema } },
        },
        ...denied,
      },
    },
    async (c) => {
      const { id, node_id } = valid<{ id: string; node_id: string }>(c, 'param')
      return c.json(await runs.node(c.get('user'), id, node_id), 200)
    },
  )
}
