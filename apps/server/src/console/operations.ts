import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Kysely } from 'kysely'
import type { UserStore } from '../auth/users.js'
import { ServerError } from '../errors.js'
import { type AppEnv, BEARER, decimalInteger } from '../http.js'
import {
  epochMs,
  fail,
  listOf,
  listQuery,
  num,
  numOrNull,
  pageOf,
  parseJson,
  valid,
} from './lists.js'
import type { ConsoleDatabase } from './run-reader.js'

const operationSchema = z
  .object({
    id: z.number().int(),
    project_id: z.number().int(),
    project_name: z.string().nullable(),
    task_id: z.number().int().nullable(),
    node_id: z.string().nullable(),
    user_id: z.number().int(),
    operator: z.string().nullable(),
    app_code: z.string().describe('The app of a task API call; empty through a bearer token'),
    operation: z.string(),
    detail: z.unknown(),
    created_at: z.number().int(),
  })
  .openapi('Operation')
const tokenSchema = z
  .object({ id: z.number().int(), prefix: z.string(), created_at: z.number().int() })
  .openapi('TokenInfo')
const OPERATION_SORTS = ['created_at', 'operation', 'user_id', 'project_id'] as const
const SORT_COLUMN = {
  created_at: 'o.created_at',
  operation: 'o.operation',
  user_id: 'o.user_id',
  project_id: 'o.project_id',
} as const

/**
 * `GET /api/operations` (the operation log across projects: all of it for admins, the caller's
 * projects' for others), `GET /api/users/{id}/tokens` and `DELETE /api/users/{id}/tokens/{token_id}`.
 */
export function registerOperationRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: { db: Kysely<ConsoleDatabase>; users: UserStore },
): void {
  const { db, users } = deps
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/operations',
      tags: ['console'],
      security: BEARER,
      summary: "Who did what: the operation log (admins: all of it; others: their projects')",
      request: {
        query: z.object({
          project_id: decimalInteger(1, Number.MAX_SAFE_INTEGER).optional(),
          user_id: decimalInteger(1, Number.MAX_SAFE_INTEGER).optional(),
          task_id: decimalInteger(1, Number.MAX_SAFE_INTEGER).optional(),
          operation: z.string().min(1).max(64).optional().describe('The operation, exactly'),
          since: epochMs.optional(),
          until: epochMs.optional(),
          ...listQuery(OPERATION_SORTS),
        }),
      },
      responses: {
        200: {
          description: 'The operations, newest first unless sorted otherwise',
          content: { 'application/json': { schema: listOf(operationSchema) } },
        },
        400: fail('A malformed filter'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const q = valid<{
        project_id?: number
        user_id?: number
        task_id?: number
        operation?: string
        since?: number
        until?: number
        page?: number
        per_page?: number
        sort?: (typeof OPERATION_SORTS)[number]
        order?: 'asc' | 'desc'
      }>(c, 'query')
      const user = c.get('user')
      let query = db
        .selectFrom('culm_server_operation as o')
        .leftJoin('culm_server_project as p', 'p.id', 'o.project_id')
        .leftJoin('culm_server_user as u', 'u.id', 'o.user_id')
      if (!user.isAdmin) {
        query = query.where(
          'o.project_id',
          'in',
          db
            .selectFrom('culm_server_project_member')
            .select('project_id')
            .where('user_id', '=', user.id),
        )
      }
      if (q.project_id !== undefined) query = query.where('o.project_id', '=', q.project_id)
      if (q.user_id !== undefined) query = query.where('o.user_id', '=', q.user_id)
      if (q.task_id !== undefined) query = query.where('o.task_id', '=', q.task_id)
      if (q.operation !== undefined) query = query.where('o.operation', '=', q.operation)
      if (q.since !== undefined) query = query.where('o.created_at', '>=', q.since)
      if (q.until !== undefined) query = query.where('o.created_at', '<=', q.until)
      const counted = await query
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirst()
      const { offset, limit } = pageOf(q)
      const order = q.order ?? 'desc'
      const rows = await query
        .select([
          'o.id',
          'o.project_id',
          'p.name as project_name',
          'o.task_id',
          'o.node_id',
          'o.user_id',
          'u.name as operator',
          'o.app_code',
          'o.operation',
          'o.detail',
          'o.created_at',
        ])
        .orderBy(SORT_COLUMN[q.sort ?? 'created_at'], order)
        .orderBy('o.id', order)
        .offset(offset)
        .limit(limit)
        .execute()
      return c.json(
        {
          data: rows.map((r) => ({
            id: num(r.id),
            project_id: num(r.project_id),
            project_name: r.project_name ?? null,
            task_id: numOrNull(r.task_id),
            node_id: r.node_id,
            user_id: num(r.user_id),
            operator: r.operator ?? null,
            app_code: r.app_code,
            operation: r.operation,
            detail: parseJson(r.detail),
            created_at: num(r.created_at),
          })),
          total: num(counted?.n ?? 0),
        },
        200,
      )
    }) as never,
  )

  const userParam = z.object({ id: decimalInteger(1, Number.MAX_SAFE_INTEGER) })
  const mayManage = async (c: Context<AppEnv>, id: number) => {
    const caller = c.get('user')
    if (caller.id !== id && !caller.isAdmin) {
      throw new ServerError('FORBIDDEN', "only an admin may manage another user's tokens")
    }
    if (!(await users.get(id))) throw new ServerError('NOT_FOUND', `user ${id} does not exist`)
  }
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/users/{id}/tokens',
      tags: ['users'],
      security: BEARER,
      summary: "A user's tokens, by their first characters (admins, or the user itself)",
      request: { params: userParam },
      responses: {
        200: {
          description: 'The tokens (never the tokens themselves)',
          content: { 'application/json': { schema: listOf(tokenSchema) } },
        },
        400: fail('A malformed id'),
        403: fail("Another user's tokens, and not an admin"),
        404: fail('No such user'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const { id } = valid<{ id: number }>(c, 'param')
      await mayManage(c, id)
      const tokens = await users.tokens(id)
      return c.json(
        {
          data: tokens.map((t) => ({ id: t.id, prefix: t.prefix, created_at: t.createdAt })),
          total: tokens.length,
        },
        200,
      )
    }) as never,
  )
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/users/{id}/tokens/{token_id}',
      tags: ['users'],
      security: BEARER,
      summary: 'Revokes a token (admins, or the user itself)',
      request: {
        params: userParam.extend({ token_id: decimalInteger(1, Number.MAX_SAFE_INTEGER) }),
      },
      responses: {
        200: {
          description: 'Revoked',
          content: {
            'application/json': {
              schema: z.object({ id: z.number().int(), revoked: z.literal(true) }),
            },
          },
        },
        400: fail('A malformed id'),
        403: fail("Another user's token, and not an admin"),
        404: fail('No such user or token'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const { id, token_id } = valid<{ id: number; token_id: number }>(c, 'param')
      await mayManage(c, id)
      if (!(await users.revokeToken(id, token_id))) {
        throw new ServerError('NOT_FOUND', `user ${id} has no token ${token_id}`)
      }
      return c.json({ id: token_id, revoked: true as const }, 200)
    }) as never,
  )
}
