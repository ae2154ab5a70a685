import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppStore } from '../apigw/apps.js'
import type { UserStore } from '../auth/users.js'
import { ServerError } from '../errors.js'
import { type AppEnv, BEARER, decimalInteger, errorSchema } from '../http.js'
import { ENGINE_TYPES } from '../pipelines.js'
import type { TaskService } from '../tasks/task-service.js'
import { FLOW_TYPES, TASK_CATEGORIES } from '../tasks/task-store.js'
import type { Project, ProjectStore } from './projects.js'

const fail = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
})
const appSchema = z
  .object({
    id: z.number().int(),
    code: z.string(),
    whitelisted: z.boolean(),
    created_at: z.string(),
  })
  .openapi('App')
const projectSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    bk_biz_id: z.number().int(),
    created_at: z.string(),
    members: z.array(z.object({ id: z.number().int(), name: z.string() })).optional(),
  })
  .openapi('Project')
const idParam = z.object({ id: z.string().regex(/^\d{1,15}$/, 'must be a positive integer') })

function requireAdmin(c: Context<AppEnv>, what: string): void {
  if (!c.get('user').isAdmin) throw new ServerError('FORBIDDEN', `only an admin may ${what}`)
}

function valid<T>(c: Context<AppEnv>, target: 'json' | 'param' | 'query'): T {
  return (c.req as unknown as { valid(t: string): T }).valid(target)
}

function projectJson(p: Project) {
  return { ...p, created_at: new Date(p.created_at).toISOString() }
}

/**
 * `GET`/`POST /api/apps` (admins), `GET`/`POST /api/projects`, `GET /api/projects/{id}`,
 * `POST /api/projects/{id}/members`, `DELETE /api/projects/{id}/members/{user_id}` (admins), with
 * the server's bearer tokens.
 */
export function registerProjectRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: { apps: AppStore; projects: ProjectStore; users: UserStore; service: TaskService },
): void {
  const { apps, projects, users, service } = deps
  const route = (
    config: Parameters<typeof createRoute>[0],
    handler: (c: Context<AppEnv>) => Promise<Response>,
  ) =>
    app.openapi(createRoute({ tags: ['projects'], security: BEARER, ...config }), handler as never)

  route(
    {
      method: 'get',
      path: '/api/apps',
      summary: 'The registered apps of the task API (admins only)',
      responses: {
        200: {
          description: 'The apps',
          content: { 'application/json': { schema: z.array(appSchema) } },
        },
        403: fail('Admins only'),
      },
    },
    async (c) => {
      requireAdmin(c, 'list apps')
      const list = await apps.list()
      return c.json(
        list.map((a) => ({
          id: a.id,
          code: a.code,
          whitelisted: a.whitelisted,
          created_at: new Date(a.createdAt).toISOString(),
        })),
        200,
      )
    },
  )
  route(
    {
      method: 'post',
      path: '/api/apps',
      summary: 'Registers an app; its secret is shown once and kept hashed (admins only)',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                code: z
                  .string()
                  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (at most 64)'),
                secret: z
                  .string()
                  .min(16)
                  .max(128)
                  .optional()
                  .describe(
                    'Generated when left out. At least 16 characters: a secret is the only proof of an app, and a short one (the seed examples write "xxx") falls to guessing; register the real secret of the app, or let the server make one',
                  ),
                whitelisted: z.boolean().optional().describe('May name users by bk_username'),
              }),
            },
          },
        },
      },
      responses: {
        201: {
          description: 'The app and its secret',
          content: {
            'application/json': { schema: z.object({ app: appSchema, secret: z.string() }) },
          },
        },
        400: fail('A malformed body'),
        403: fail('Admins only'),
        409: fail('The code is taken'),
      },
    },
    async (c) => {
      requireAdmin(c, 'register apps')
      const body = valid<{ code: string; secret?: string; whitelisted?: boolean }>(c, 'json')
      const { app: created, secret } = await apps.create(body.code, {
        ...(body.secret !== undefined ? { secret: body.secret } : {}),
        whitelisted: body.whitelisted ?? false,
      })
      return c.json(
        {
          app: {
            id: created.id,
            code: created.code,
            whitelisted: created.whitelisted,
            created_at: new Date(created.createdAt).toISOString(),
          },
          secret,
        },
        201,
      )
    },
  )
  route(
    {
      method: 'get',
      path: '/api/projects',
      summary: 'The projects the caller is a member of (every project for an admin)',
      responses: {
        200: {
          description: 'The projects',
          content: { 'application/json': { schema: z.array(projectSchema) } },
        },
      },
    },
    async (c) => c.json((await projects.list(c.get('user'))).map(projectJson), 200),
  )
  route(
    {
      method: 'post',
      path: '/api/projects',
      summary: 'Creates a project (admins only)',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                name: z.string().trim().min(1).max(128),
                description: z.string().trim().min(1).max(255).optional(),
                bk_biz_id: z.number().int().positive().max(2_147_483_647),
              }),
            },
          },
        },
      },
      responses: {
        201: {
          description: 'The project',
          content: { 'application/json': { schema: projectSchema } },
        },
        400: fail('A malformed body'),
        403: fail('Admins only'),
        409: fail('The business already has a project'),
      },
    },
    async (c) => {
      requireAdmin(c, 'create projects')
      const body = valid<{ name: string; description?: string; bk_biz_id: number }>(c, 'json')
      const project = await projects.create(body)
      await service.logProjectChange(c.get('user'), project, 'project_create', body)
      return c.json(projectJson(project), 201)
    },
  )
  const found = async (c: Context<AppEnv>): Promise<Project> => {
    const projectId = Number(valid<{ id: string }>(c, 'param').id)
    const project = await projects.get(projectId)
    if (!project) throw new ServerError('NOT_FOUND', `project ${projectId} does not exist`)
    return project
  }
  const withMembers = async (project: Project) => {
    const ids = new Set(await projects.members(project.id))
    const members = (await users.list())
      .filter((u) => ids.has(u.id))
      .map((u) => ({ id: u.id, name: u.name }))
    return { ...projectJson(project), members }
  }
  route(
    {
      method: 'get',
      path: '/api/projects/{id}',
      summary: 'A project and its members (admins and members)',
      request: { params: idParam },
      responses: {
        200: {
          description: 'The project',
          content: { 'application/json': { schema: projectSchema } },
        },
        400: fail('A malformed id'),
        403: fail('Not a member'),
        404: fail('No such project'),
      },
    },
    async (c) => {
      const project = await found(c)
      await projects.assertAccess(project, c.get('user'))
      return c.json(await withMembers(project), 200)
    },
  )
  route(
    {
      method: 'post',
      path: '/api/projects/{id}/members',
      summary: 'Makes a user a member of a project (admins only)',
      request: {
        params: idParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .strictObject({
                  user_id: z.number().int().positive().optional(),
                  username: z.string().min(1).max(128).optional(),
                })
                .refine((b) => (b.user_id === undefined) !== (b.username === undefined), {
                  message: 'give either user_id or username',
                }),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'The project and its members',
          content: { 'application/json': { schema: projectSchema } },
        },
        400: fail('A malformed body'),
        403: fail('Admins only'),
        404: fail('No such project or user'),
      },
    },
    async (c) => {
      requireAdmin(c, 'change members')
      const project = await found(c)
      const body = valid<{ user_id?: number; username?: string }>(c, 'json')
      const user =
        body.user_id !== undefined
          ? await users.get(body.user_id)
          : await users.getByName(body.username!)
      if (!user) {
        throw new ServerError('NOT_FOUND', `user ${body.user_id ?? body.username} does not exist`)
      }
      if (await projects.addMember(project.id, user.id)) {
        await service.logProjectChange(c.get('user'), project, 'member_add', {
          user_id: user.id,
          username: user.name,
        })
      }
      return c.json(await withMembers(project), 200)
    },
  )
  route(
    {
      method: 'delete',
      path: '/api/projects/{id}/members/{user_id}',
      summary: 'Ends a membership (admins only)',
      request: {
        params: idParam.extend({
          user_id: z.string().regex(/^\d{1,15}$/, 'must be a positive integer'),
        }),
      },
      responses: {
        200: {
          description: 'The project and its members',
          content: { 'application/json': { schema: projectSchema } },
        },
        400: fail('A malformed id'),
        403: fail('Admins only'),
        404: fail('No such project or membership'),
      },
    },
    async (c) => {
      requireAdmin(c, 'change members')
      const project = await found(c)
      const userId = Number(valid<{ user_id: string }>(c, 'param').user_id)
      if (!(await projects.removeMember(project.id, userId))) {
        throw new ServerError(
          'NOT_FOUND',
          `user ${userId} is not a member of project ${project.id}`,
        )
      }
      await service.logProjectChange(c.get('user'), project, 'member_remove', { user_id: userId })
      return c.json(await withMembers(project), 200)
    },
  )
  const page = {
    offset: decimalInteger(0, 1_000_000_000).optional(),
    limit: decimalInteger(1, 200).optional(),
  }
  const list = z.object({
    count: z.number().int(),
    data: z.array(z.record(z.string(), z.unknown())),
  })
  route(
    {
      method: 'get',
      path: '/api/projects/{id}/tasks',
      summary:
        'A page of the tasks of a project, newest first, filtered (admins and members); each ' +
        'with run_id, its run once started (GET /api/runs/{run_id}), else null',
      request: {
        params: idParam,
        query: z.object({
          category: z.enum(TASK_CATEGORIES).optional(),
          creator: z.string().min(1).max(128).optional(),
          state: z.string().min(1).max(32).optional(),
          name: z.string().min(1).max(128).optional(),
          flow_type: z.enum(FLOW_TYPES).optional(),
          engine_type: z.enum(ENGINE_TYPES).optional(),
          ...page,
        }),
      },
      responses: {
        200: { description: 'The tasks', content: { 'application/json': { schema: list } } },
        400: fail('A malformed id or filter'),
        403: fail('Not a member'),
        404: fail('No such project'),
      },
    },
    async (c) => {
      const project = await found(c)
      await projects.assertAccess(project, c.get('user'))
      const q = valid<Record<string, string | undefined> & { offset?: number; limit?: number }>(
        c,
        'query',
      )
      const {
        count,
        tasks,
        runIds: runs,
      } = await service.list(
        project,
        { ...q, offset: q.offset ?? 0, limit: q.limit ?? 100 },
        new URL(c.req.url).origin,
      )
      const data = tasks.map((task) => ({
        ...task,
        run_id: task.is_started ? (runs.get(task.id) ?? null) : null,
      }))
      return c.json({ count, data }, 200)
    },
  )
  route(
    {
      method: 'get',
      path: '/api/projects/{id}/operations',
      summary: 'The operation log of a project or one of its tasks (admins and members)',
      request: {
        params: idParam,
        query: z.object({
          task_id: decimalInteger(1, Number.MAX_SAFE_INTEGER).optional(),
          ...page,
        }),
      },
      responses: {
        200: { description: 'The operations', content: { 'application/json': { schema: list } } },
        400: fail('A malformed id'),
        403: fail('Not a member'),
        404: fail('No such project or task'),
      },
    },
    async (c) => {
      const project = await found(c)
      await projects.assertAccess(project, c.get('user'))
      const q = valid<{ task_id?: number; offset?: number; limit?: number }>(c, 'query')
      if (q.task_id !== undefined) await service.task(project, q.task_id)
      const { count, operations } = await service.operations(project, {
        ...(q.task_id !== undefined ? { taskId: q.task_id } : {}),
        offset: q.offset ?? 0,
        limit: q.limit ?? 100,
      })
      return c.json({ count, data: operations }, 200)
    },
  )
}
