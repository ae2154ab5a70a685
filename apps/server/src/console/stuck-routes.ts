import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { ADMIN_ACTIONS } from '../admin/actions.js'
import { type AppEnv, BEARER, decimalInteger } from '../http.js'
import { ENGINE_TYPES } from '../pipelines.js'
import { fail, listOf, MAX_PER_PAGE, pageOf, valid } from './lists.js'
import { STUCK_KINDS, type StuckKind, type StuckRuns } from './stuck.js'

const stuckSchema = z
  .object({
    id: z.string(),
    kind: z.enum(STUCK_KINDS),
    run_id: z.string(),
    run_name: z.string(),
    engine_type: z.enum(ENGINE_TYPES),
    node_id: z.string().nullable(),
    since: z.number().int().nullable().describe('Since when (epoch ms), when known'),
    detail: z.string(),
    action: z
      .object({
        name: z.enum(ADMIN_ACTIONS),
        engine_type: z.enum(ENGINE_TYPES),
        instance_id: z.string(),
        body: z.record(z.string(), z.unknown()),
        label: z.string(),
      })
      .nullable()
      .describe('POST {admin prefix}/api/v1/{engine_type}/{name}/{instance_id} with body'),
  })
  .openapi('Stuck')

/** `GET /api/stuck`: runs that look alive but do not move, each with its unblocking action. */
export function registerStuckRoutes(app: OpenAPIHono<AppEnv>, stuck: StuckRuns): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/stuck',
      tags: ['console'],
      security: BEARER,
      summary: 'Runs that look alive but do not move, with the action that safely unblocks each',
      description:
        'Kinds: idle_run (RUNNING, but nothing running, scheduled, waiting for a callback, paused ' +
        'or failed), long_running_node (a service activity RUNNING longer than ' +
        'running_longer_than), overdue_schedule (a poll, timeout or automatic retry due over a ' +
        'minute ago), converge_waiting (every branch ended without reaching the converge), ' +
        'terminal_node (a process sitting on a FAILED node, or on a FINISHED one over a minute). ' +
        'Each names the engine-admin action that safely unblocks it: task_redispatch for work ' +
        'that nothing moves on (a step that gave up, a lost timer, branches that all reached ' +
        'their converge, a callback whose data waits), node_retry for a failed node, ' +
        'node_forced_fail for a node running too long, task_revoke where nothing can move the ' +
        'run. Oldest first; only the runs the caller may read.',
      request: {
        query: z.object({
          running_longer_than: decimalInteger(0, 10 * 365 * 24 * 3600)
            .optional()
            .openapi({ description: 'Seconds (3600): how long counts as too long' }),
          kind: z.enum(STUCK_KINDS).optional(),
          page: decimalInteger(1, 1_000_000).optional(),
          per_page: decimalInteger(1, MAX_PER_PAGE).optional(),
        }),
      },
      responses: {
        200: {
          description: 'The stuck runs',
          content: { 'application/json': { schema: listOf(stuckSchema) } },
        },
        400: fail('A malformed parameter'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const q = valid<{
        running_longer_than?: number
        kind?: StuckKind
        page?: number
        per_page?: number
      }>(c, 'query')
      const all = await stuck.find(c.get('user'), {
        runningLongerThanMs: (q.running_longer_than ?? 3600) * 1000,
        ...(q.kind ? { kind: q.kind } : {}),
      })
      const { offset, limit } = pageOf(q)
      return c.json({ data: all.slice(offset, offset + limit), total: all.length }, 200)
    }) as never,
  )
}
