import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context, MiddlewareHandler } from 'hono'
import type { User } from '../auth/users.js'
import { ServerError } from '../errors.js'
import { type AppEnv, BEARER, errorSchema, sendError } from '../http.js'
import { ENGINE_TYPES, type EngineType } from '../pipelines.js'
import {
  ADMIN_ACTIONS,
  ADMIN_VIEWS,
  type AdminAction,
  type AdminActionBody,
  type AdminView,
  type EngineAdapter,
} from './actions.js'
import {
  type AdminPermission,
  type AdminRequest,
  PERMISSION_DENIED,
  PERMISSION_IMPORT_ERROR,
} from './permission.js'

const id = (what: string) => z.string().min(1).max(128).describe(what)
const none = z.strictObject({})

/** The body of each action (`000_*`: other parameters as JSON in the body). */
const ACTION_BODIES: Record<
  AdminAction,
  { schema: z.ZodType; summary: string; required: boolean }
> = {
  task_pause: { schema: none, summary: 'Pauses a task (pipeline)', required: false },
  task_resume: { schema: none, summary: 'Resumes a task (pipeline)', required: false },
  task_revoke: { schema: none, summary: 'Revokes a task (pipeline)', required: false },
  task_redispatch: {
    schema: none,
    summary:
      'Dispatches again the work of a RUNNING task that nothing moves on (Culm): awake processes, due schedules, forks whose branches all arrived; never work under way',
    required: false,
  },
  node_retry: {
    schema: z.strictObject({
      inputs: z.record(z.string(), z.unknown()).nullable().optional().describe('New node inputs'),
    }),
    summary: 'Retries a failed node',
    required: false,
  },
  node_skip: { schema: none, summary: 'Skips a failed node', required: false },
  node_callback: {
    schema: z.strictObject({
      data: z.unknown().optional().describe('Callback data'),
      version: id('Node version to call back; the current one by default').optional(),
    }),
    summary: 'Calls back a node',
    required: false,
  },
  node_skip_exg: {
    schema: z.strictObject({ flow_id: id('Flow to take') }),
    summary: 'Skips a failed exclusive gateway',
    required: true,
  },
  node_skip_cpg: {
    schema: z.strictObject({
      flow_ids: z.array(id('Flow id')).min(1).max(1000),
      converge_gateway_id: id('The matching converge gateway'),
    }),
    summary: 'Skips a failed conditional parallel gateway',
    required: true,
  },
  node_forced_fail: { schema: none, summary: 'Forces a running node to fail', required: false },
}

const VIEW_SUMMARIES: Record<AdminView, string> = {
  state_tree: 'The state tree of a pipeline, nested by parent',
  node_data: 'A node inputs and outputs as last run',
  node_histories: 'A node archived runs',
}

const answerSchema = z
  .object({
    result: z.boolean(),
    message: z.string(),
    data: z.unknown(),
    exc: z.string().nullable().optional(),
    exc_trace: z.string().nullable().optional(),
  })
  .openapi('EngineAdminResult')

const params = z.object({
  engine_type: z.string().describe('bamboo_engine or pipeline_engine'),
  instance_id: id('Task (pipeline) or node id'),
})

/** Options of the engine admin surface. */
export interface AdminRoutesOptions {
  prefix: string
  adapters: Record<EngineType, EngineAdapter>
  /** The permission function, or how to get it (a module that may fail to load). */
  permission: () => Promise<AdminPermission>
  /** How long the permission function may take before the call is denied (5000 ms). */
  permissionTimeoutMs?: number
  /** Told why a call was denied by a permission function that threw or did not answer. */
  onPermissionFailure?: (failure: { action: string; instanceId: string; error: unknown }) => void
  /** Told of every action the engine carried out (answered 200), for the operation log. */
  onAction?: (call: {
    user: User
    engineType: EngineType
    action: AdminAction
    instanceId: string
    body: AdminActionBody
  }) => Promise<void>
}

/** The answer of a permission function within its time limit; a throw or no answer denies. */
async function askPermission(
  permission: AdminPermission,
  request: AdminRequest,
  timeoutMs: number,
): Promise<{ allowed: boolean; error?: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<{ allowed: false; error: unknown }>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          allowed: false,
          error: new ServerError(
            'FORBIDDEN',
            `the permission function did not answer within ${timeoutMs} ms`,
          ),
        }),
      timeoutMs,
    )
  })
  try {
    const answer = (async () => ({ allowed: (await permission(request)) === true }))()
    return await Promise.race([answer, late])
  } catch (error) {
    return { allowed: false, error }
  } finally {
    clearTimeout(timer)
  }
}

function isEngineType(value: string): value is EngineType {
  return (ENGINE_TYPES as readonly string[]).includes(value)
}

/**
 * `POST {prefix}/api/v1/{engine_type}/{action}/{instance_id}` for the actions, and
 * `GET {prefix}/api/v1/{engine_type}/{view}/{instance_id}` for the console's read views. Unknown
 * engine types and actions are 404, other methods 405, and the permission function decides first.
 */
export function registerAdminRoutes(app: OpenAPIHono<AppEnv>, options: AdminRoutesOptions): void {
  const base = `${options.prefix}/api/v1`
  const known = new Set<string>([...ADMIN_ACTIONS, ...ADMIN_VIEWS])
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const engineType = c.req.param('engine_type') ?? ''
    const action = c.req.param('action') ?? ''
    if (!isEngineType(engineType)) {
      return sendError(c, new ServerError('NOT_FOUND', `engine type ${engineType} not found`))
    }
    if (!known.has(action)) return sendError(c, new ServerError('NOT_FOUND', 'action not found'))
    let permission: AdminPermission
    try {
      permission = await options.permission()
    } catch (error) {
      return sendError(
        c,
        new ServerError('CONFIGURATION', PERMISSION_IMPORT_ERROR, { cause: error }),
      )
    }
    const instanceId = c.req.param('instance_id') ?? ''
    // A function that throws or hangs denies the call: the caller learns nothing of why (the
    // log does), and no request waits on it for long.
    const decision = await askPermission(
      permission,
      {
        request: new Request(c.req.url, { method: c.req.method, headers: c.req.raw.headers }),
        user: c.get('user'),
        engineType,
        action,
        instanceId,
      },
      options.permissionTimeoutMs ?? 5000,
    )
    if (decision.error !== undefined) {
      options.onPermissionFailure?.({ action, instanceId, error: decision.error })
    }
    if (!decision.allowed) return sendError(c, new ServerError('FORBIDDEN', PERMISSION_DENIED))
    await next()
    return undefined
  }
  app.use(`${base}/:engine_type/:action/:instance_id`, guard)

  for (const action of ADMIN_ACTIONS) {
    const spec = ACTION_BODIES[action]
    const route = createRoute({
      method: 'post',
      path: `${base}/{engine_type}/${action}/{instance_id}`,
      tags: ['engine admin'],
      summary: spec.summary,
      operationId: `admin_${action}`,
      security: BEARER,
      request: {
        params,
        body: { content: { 'application/json': { schema: spec.schema } }, required: spec.required },
      },
      responses: {
        200: { description: 'Done', content: { 'application/json': { schema: answerSchema } } },
        400: {
          description: 'A malformed body',
          content: { 'application/json': { schema: errorSchema } },
        },
        403: {
          description: 'Permission denied',
          content: { 'application/json': { schema: errorSchema } },
        },
        404: {
          description: 'Unknown engine type, action or id',
          content: { 'application/json': { schema: answerSchema } },
        },
        409: {
          description: 'Refused in the current state',
          content: { 'application/json': { schema: answerSchema } },
        },
      },
    })
    app.openapi(route, (async (c: Context<AppEnv>) => {
      const engineType = c.req.param('engine_type') as EngineType
      const body = ((c.req as unknown as { valid(t: 'json'): unknown }).valid('json') ??
        {}) as AdminActionBody
      const instanceId = c.req.param('instance_id') ?? ''
      const answer = await options.adapters[engineType].act(action, instanceId, body)
      if (answer.status === 200 && options.onAction) {
        await options.onAction({ user: c.get('user'), engineType, action, instanceId, body })
      }
      return c.json(answer.body, answer.status as 200)
    }) as never)
  }
  for (const view of ADMIN_VIEWS) {
    const route = createRoute({
      method: 'get',
      path: `${base}/{engine_type}/${view}/{instance_id}`,
      tags: ['engine admin'],
      summary: VIEW_SUMMARIES[view],
      operationId: `admin_view_${view}`,
      security: BEARER,
      request: { params },
      responses: {
        200: { description: 'The view', content: { 'application/json': { schema: answerSchema } } },
        403: {
          description: 'Permission denied',
          content: { 'application/json': { schema: errorSchema } },
        },
        404: {
          description: 'Unknown engine type or id',
          content: { 'application/json': { schema: answerSchema } },
        },
      },
    })
    app.openapi(route, (async (c: Context<AppEnv>) => {
      const engineType = c.req.param('engine_type') as EngineType
      const answer = await options.adapters[engineType].view(view, c.req.param('instance_id') ?? '')
      return c.json(answer.body, answer.status as 200)
    }) as never)
  }
  app.all(`${base}/:engine_type/:action/:instance_id`, (c) => {
    const allowed = (ADMIN_VIEWS as readonly string[]).includes(c.req.param('action'))
      ? 'GET'
      : 'POST'
    c.header('Allow', allowed)
    return sendError(
      c,
      new ServerError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed; use ${allowed}`),
    )
  })
}
