import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type ApigwEnv, AUTHORIZATION_HEADER } from '../apigw/credentials.js'
import { ServerError } from '../errors.js'
import { decimalInteger, errorSchema, sendError } from '../http.js'
import { ENGINE_TYPES } from '../pipelines.js'
import { PROJECT_SCOPES, type Project, type ProjectStore } from '../projects/projects.js'
import { NODE_ACTIONS, TASK_ACTIONS, type TaskService } from './task-service.js'
import { FLOW_TYPES, TASK_CATEGORIES } from './task-store.js'

const id = z.string().regex(/^\d{1,15}$/, 'must be a positive integer')
const credentials = {
  bk_app_code: z.string().max(64).optional(),
  bk_app_secret: z.string().max(256).optional(),
  bk_token: z.string().max(256).optional(),
  bk_username: z.string().max(128).optional(),
  scope: z
    .enum(PROJECT_SCOPES)
    .optional()
    .describe('cmdb_biz (default): project_id is a business id; project: it is the project id'),
}
const bodyProjectId = z.union([id, z.number().int().positive().max(Number.MAX_SAFE_INTEGER)])
const taskParams = z.object({ task_id: id, project_id: id })
const projectParams = z.object({ project_id: id })
const success = (data: z.ZodType) =>
  z.object({ result: z.literal(true), data, message: z.string() })
const fail = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
})
const ERRORS = {
  400: fail('A malformed request, naming each field'),
  401: fail('Missing or wrong app credentials, or an unknown user'),
  403: fail('An app off the whitelist naming bk_username, or a user outside the project'),
  404: fail('An unknown project, task or node'),
  409: fail('A state that refuses the call'),
}
const SECURITY = [{ bkapi: [] as string[] }]

type Handler = (c: Context<ApigwEnv>) => Promise<Response>

function valid<T>(c: Context<ApigwEnv>, target: 'json' | 'query' | 'param'): T {
  return (c.req as unknown as { valid(t: string): T }).valid(target)
}

function ok(c: Context<ApigwEnv>, data: unknown, extra: Record<string, unknown> = {}): Response {
  return c.json({ result: true, data, message: 'success', ...extra }, 200)
}

function baseUrl(c: Context): string {
  return new URL(c.req.url).origin
}

/**
 * The operations platform's task API under `/apigw/`: `fast_create_task`, `start_task`,
 * `operate_task`, `get_task_status`, `get_task_detail`, `get_task_node_detail`, `node_callback`,
 * `operate_node`, `get_tasks` and `get_operation_log`. Every call carries app credentials and a
 * user (see `requireAppCredentials`); the project is named by `project_id` under `scope`.
 */
export function registerTaskRoutes(
  app: OpenAPIHono<ApigwEnv>,
  deps: { projects: ProjectStore; service: TaskService },
): void {
  const { projects, service } = deps
  const project = async (
    c: Context<ApigwEnv>,
    projectId: string | number,
    scope: (typeof PROJECT_SCOPES)[number] | undefined,
  ): Promise<Project> => {
    const found = await projects.resolve(Number(projectId), scope ?? 'cmdb_biz')
    await projects.assertAccess(found, c.get('user'))
    return found
  }
  const caller = (c: Context<ApigwEnv>) => ({ user: c.get('user'), app: c.get('app') })
  const route = (
    method: 'get' | 'post',
    path: string,
    summary: string,
    request: Record<string, unknown>,
    data: z.ZodType,
    handler: Handler,
  ) => {
    app.openapi(
      createRoute({
        method,
        path,
        tags: ['task API'],
        summary,
        security: SECURITY,
        request: request as never,
        responses: {
          200: {
            description: 'Success',
            content: { 'application/json': { schema: success(data) } },
          },
          ...ERRORS,
        },
      }),
      handler as never,
    )
  }
  const jsonBody = (shape: z.ZodRawShape) => ({
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ ...credentials, ...shape }) } },
    },
  })

  const createShape = {
    project_id: bodyProjectId.optional(),
    name: z.string().trim().min(1).max(128),
    pipeline_tree: z
      .record(z.string(), z.unknown())
      .describe(
        'The platform-format tree (start_event, end_event, activities, flows, gateways, constants, outputs)',
      ),
    flow_type: z.enum(FLOW_TYPES).optional(),
    description: z.string().max(1024).optional(),
    category: z.enum(TASK_CATEGORIES).optional(),
    engine_type: z.enum(ENGINE_TYPES).optional(),
    constants: z
      .record(z.string().max(256), z.unknown())
      .optional()
      .describe('New values of the tree constants, by key (`${bk_timing}` or `bk_timing`)'),
  }
  const createData = z.object({
    task_id: z.number().int(),
    task_url: z.string(),
    pipeline_tree: z.record(z.string(), z.unknown()),
  })
  const create = async (c: Context<ApigwEnv>, fromPath: string | undefined) => {
    const body = valid<z.infer<z.ZodObject<typeof createShape & typeof credentials>>>(c, 'json')
    const fromBody = body.project_id
    if (fromPath !== undefined && fromBody !== undefined && String(fromBody) !== fromPath) {
      throw new ServerError(
        'VALIDATION',
        `project_id ${fromBody} of the body differs from ${fromPath} of the path`,
        {
          issues: [{ field: 'project_id', message: 'differs from the path' }],
        },
      )
    }
    const projectId = fromPath ?? fromBody
    if (projectId === undefined) {
      throw new ServerError('VALIDATION', 'project_id is required', {
        issues: [{ field: 'project_id', message: 'Required' }],
      })
    }
    const found = await project(c, projectId, body.scope)
    const data = await service.create(found, caller(c), body, baseUrl(c))
    return ok(c, data)
  }
  route(
    'post',
    '/apigw/fast_create_task/{project_id}',
    'Creates a one-off task of a project from a pipeline tree',
    { params: projectParams, ...jsonBody(createShape) },
    createData,
    (c) => create(c, valid<{ project_id: string }>(c, 'param').project_id),
  )
  route(
    'post',
    '/apigw/fast_create_task',
    'Creates a one-off task; project_id in the body',
    jsonBody(createShape),
    createData,
    (c) => create(c, undefined),
  )

  const taskOf = async (
    c: Context<ApigwEnv>,
    scope: (typeof PROJECT_SCOPES)[number] | undefined,
  ) => {
    const params = valid<{ task_id: string; project_id: string }>(c, 'param')
    const found = await project(c, params.project_id, scope)
    return { project: found, task: await service.task(found, Number(params.task_id)) }
  }

  route(
    'post',
    '/apigw/start_task/{task_id}/{project_id}',
    'Starts a task',
    { params: taskParams, ...jsonBody({}) },
    z.null(),
    async (c) => {
      const { project: p, task } = await taskOf(c, valid<{ scope?: 'project' }>(c, 'json').scope)
      await service.start(p, task, caller(c))
      return ok(c, null)
    },
  )
  route(
    'post',
    '/apigw/operate_task/{task_id}/{project_id}',
    'Starts, pauses, resumes or revokes a task',
    { params: taskParams, ...jsonBody({ action: z.enum(TASK_ACTIONS) }) },
    z.null(),
    async (c) => {
      const body = valid<{ scope?: 'project'; action: (typeof TASK_ACTIONS)[number] }>(c, 'json')
      const { project: p, task } = await taskOf(c, body.scope)
      await service.operate(p, task, caller(c), body.action)
      return ok(c, null)
    },
  )

  const query = (shape: z.ZodRawShape) => z.object({ ...credentials, ...shape })
  route(
    'get',
    '/apigw/get_task_status/{task_id}/{project_id}',
    'The state tree of a task, with node names and elapsed seconds',
    { params: taskParams, query: query({}) },
    z.record(z.string(), z.unknown()),
    async (c) => {
      const { task } = await taskOf(c, valid<{ scope?: 'project' }>(c, 'query').scope)
      return ok(c, await service.status(task))
    },
  )
  route(
    'get',
    '/apigw/get_task_detail/{task_id}/{project_id}',
    'A task: its fields, tree, constants and outputs',
    { params: taskParams, query: query({}) },
    z.record(z.string(), z.unknown()),
    async (c) => {
      const { project: p, task } = await taskOf(c, valid<{ scope?: 'project' }>(c, 'query').scope)
      return ok(c, await service.detail(p, task, baseUrl(c)))
    },
  )
  route(
    'get',
    '/apigw/get_task_node_detail/{task_id}/{project_id}',
    'A node of a task: its state, inputs, outputs and earlier runs',
    {
      params: taskParams,
      query: query({
        node_id: z.string().min(1).max(128),
        component_code: z.string().max(128).optional(),
        subprocess_stack: z.string().max(4096).optional(),
        loop: decimalInteger(1, 1_000_000).optional(),
      }),
    },
    z.record(z.string(), z.unknown()),
    async (c) => {
      const q = valid<{ scope?: 'project'; node_id: string; loop?: number }>(c, 'query')
      const { task } = await taskOf(c, q.scope)
      return ok(c, await service.nodeDetail(task, q.node_id, q.loop))
    },
  )
  route(
    'post',
    '/apigw/node_callback/{task_id}/{project_id}',
    'Sends data to a node that waits for a callback',
    {
      params: taskParams,
      ...jsonBody({ node_id: z.string().min(1).max(128), callback_data: z.unknown().optional() }),
    },
    z.null(),
    async (c) => {
      const body = valid<{ scope?: 'project'; node_id: string; callback_data?: unknown }>(c, 'json')
      const { project: p, task } = await taskOf(c, body.scope)
      await service.nodeCallback(p, task, caller(c), body.node_id, body.callback_data ?? {})
      return ok(c, null)
    },
  )
  route(
    'post',
    '/apigw/operate_node/{task_id}/{project_id}',
    'Retries, skips, calls back, skips a gateway or forces the failure of a node',
    {
      params: taskParams,
      ...jsonBody({
        node_id: z.string().min(1).max(128),
        action: z.enum(NODE_ACTIONS),
        data: z.unknown().optional().describe('callback: the callback data'),
        inputs: z.record(z.string(), z.unknown()).optional().describe('retry: new inputs'),
        flow_id: z.string().min(1).max(128).optional().describe('skip_exg: the flow to take'),
        flow_ids: z.array(z.string().min(1).max(128)).min(1).max(100).optional(),
        converge_gateway_id: z.string().min(1).max(128).optional(),
        ex_data: z.string().max(4096).optional().describe('forced_fail: the failure message'),
      }),
    },
    z.null(),
    async (c) => {
      const body = valid<Parameters<TaskService['operateNode']>[3] & { scope?: 'project' }>(
        c,
        'json',
      )
      const { project: p, task } = await taskOf(c, body.scope)
      const { scope: _scope, ...input } = body
      for (const field of ['bk_app_code', 'bk_app_secret', 'bk_token', 'bk_username'])
        delete (input as Record<string, unknown>)[field]
      await service.operateNode(p, task, caller(c), input)
      return ok(c, null)
    },
  )
  const page = {
    offset: decimalInteger(0, 1_000_000_000).optional(),
    limit: decimalInteger(1, 200).optional(),
  }
  route(
    'get',
    '/apigw/get_tasks/{project_id}',
    'A page of the tasks of a project, newest first, filtered',
    {
      params: projectParams,
      query: query({
        category: z.enum(TASK_CATEGORIES).optional(),
        creator: z.string().min(1).max(128).optional(),
        state: z.string().min(1).max(32).optional(),
        name: z.string().min(1).max(128).optional(),
        flow_type: z.enum(FLOW_TYPES).optional(),
        engine_type: z.enum(ENGINE_TYPES).optional(),
        ...page,
      }),
    },
    z.array(z.record(z.string(), z.unknown())),
    async (c) => {
      const q = valid<Record<string, string | undefined> & { offset?: number; limit?: number }>(
        c,
        'query',
      )
      const found = await project(
        c,
        valid<{ project_id: string }>(c, 'param').project_id,
        q.scope as never,
      )
      const { count, tasks } = await service.list(
        found,
        { ...q, offset: q.offset ?? 0, limit: q.limit ?? 100 },
        baseUrl(c),
      )
      return ok(c, tasks, { count })
    },
  )
  route(
    'get',
    '/apigw/get_operation_log/{project_id}',
    'The operation log of a project or one of its tasks: who did what, when',
    {
      params: projectParams,
      query: query({ task_id: id.optional(), ...page }),
    },
    z.array(z.record(z.string(), z.unknown())),
    async (c) => {
      const q = valid<{ scope?: 'project'; task_id?: string; offset?: number; limit?: number }>(
        c,
        'query',
      )
      const found = await project(c, valid<{ project_id: string }>(c, 'param').project_id, q.scope)
      if (q.task_id !== undefined) await service.task(found, Number(q.task_id))
      const { count, operations } = await service.operations(found, {
        ...(q.task_id !== undefined ? { taskId: Number(q.task_id) } : {}),
        offset: q.offset ?? 0,
        limit: q.limit ?? 100,
      })
      return ok(c, operations, { count })
    },
  )
  app.all('/apigw/:name/*', (c) => {
    const name = c.req.param('name')
    if (!APIGW_FUNCTIONS.has(name)) {
      return sendError(c, new ServerError('NOT_FOUND', `task API function ${name} does not exist`))
    }
    const allowed = name.startsWith('get_') ? 'GET' : 'POST'
    if (c.req.method === allowed) {
      return sendError(c, new ServerError('NOT_FOUND', `no task API route for ${c.req.path}`))
    }
    c.header('Allow', allowed)
    return sendError(
      c,
      new ServerError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed; use ${allowed}`),
    )
  })
}

/** The functions of the task API, each at `/apigw/{name}/…`. */
export const APIGW_FUNCTIONS = new Set([
  'fast_create_task',
  'start_task',
  'operate_task',
  'get_task_status',
  'get_task_detail',
  'get_task_node_detail',
  'node_callback',
  'operate_node',
  'get_tasks',
  'get_operation_log',
])

/** The OpenAPI security scheme of the task API. */
export const APIGW_SECURITY_SCHEME = {
  type: 'apiKey' as const,
  in: 'header' as const,
  name: AUTHORIZATION_HEADER,
  description:
    'A JSON object with bk_app_code, bk_app_secret and bk_token or bk_username; the same fields may be given in the body or the query string instead',
}
