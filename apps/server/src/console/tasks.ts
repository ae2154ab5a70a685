import { type ComponentRunner, componentLookup } from '@culm/engine'
import { dialectOf, type PipelineTree, type Problem, validateTree } from '@culm/tree'
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { App } from '../apigw/apps.js'
import { ServerError } from '../errors.js'
import { type AppEnv, BEARER, decimalInteger } from '../http.js'
import { ENGINE_TYPES, type EngineType } from '../pipelines.js'
import type { Project, ProjectStore } from '../projects/projects.js'
import { type TaskService, taskUrl } from '../tasks/task-service.js'
import {
  FLOW_TYPES,
  type FlowType,
  TASK_CATEGORIES,
  type TaskCategory,
} from '../tasks/task-store.js'
import { fail, valid } from './lists.js'

/** How the console names each task category. */
export const CATEGORY_NAMES: Record<TaskCategory, string> = {
  OpsTools: 'Operations tools',
  MonitorAlarm: 'Monitoring and alarms',
  ConfManage: 'Configuration management',
  DevTools: 'Development tools',
  EnterpriseIT: 'Enterprise IT',
  OfficeApp: 'Office applications',
  Other: 'Other',
}

/** The app a call through a bearer token is recorded under in the operation log. */
const CONSOLE_APP: App = { id: 0, code: '', whitelisted: false, createdAt: 0 }

const treeObject = z
  .record(z.string(), z.unknown())
  .describe('A pipeline tree (a JSON object)')
  .openapi({ type: 'object' })
const problemSchema = z
  .object({
    node_id: z.string().nullable().describe('The node (or flow) the problem is at'),
    flow_id: z.string().nullable(),
    pipeline_id: z
      .string()
      .nullable()
      .describe('The subprocess whose tree holds it, if not the root'),
    path: z.string().describe('Where in the JSON: activities.<id>, flows.<id>, a schema path'),
    code: z.string(),
    message: z.string(),
    severity: z.enum(['error', 'warning']),
  })
  .openapi('TreeProblem')

/** Where a node or flow sits in a tree, as a dotted JSON path. */
function sectionOf(tree: unknown, id: string): string | null {
  if (typeof tree !== 'object' || tree === null) return null
  const t = tree as Record<string, unknown>
  for (const section of ['activities', 'gateways', 'flows'] as const) {
    const record = t[section]
    if (typeof record === 'object' && record !== null && id in record) return `${section}.${id}`
  }
  for (const section of ['start_event', 'end_event'] as const) {
    if ((t[section] as { id?: unknown } | undefined)?.id === id) return section
  }
  return null
}

/** A validation problem located at its node, flow and JSON path. */
export function locate(tree: unknown, problem: Problem) {
  const prefix = problem.pipelineId ? `activities.${problem.pipelineId}.pipeline.` : ''
  const activities = (tree as { activities?: Record<string, { pipeline?: unknown }> } | null)
    ?.activities
  const inner = problem.pipelineId ? activities?.[problem.pipelineId]?.pipeline : tree
  const id = problem.nodeId ?? problem.flowId
  const where = id ? sectionOf(inner, id) : null
  return {
    node_id: problem.nodeId ?? null,
    flow_id: problem.flowId ?? null,
    pipeline_id: problem.pipelineId ?? null,
    path: problem.path ?? (where ? `${prefix}${where}` : prefix.replace(/\.$/, '')),
    code: problem.code as string,
    message: problem.message,
    severity: problem.severity === 'warning' ? ('warning' as const) : ('error' as const),
  }
}

/**
 * `GET /api/task_categories`, `POST /api/trees/validate`, `POST /api/projects/{id}/tasks` and
 * `POST /api/projects/{id}/tasks/{task_id}/start`, with the server's bearer tokens.
 */
export function registerTaskConsoleRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: { projects: ProjectStore; service: TaskService; components: ComponentRunner },
): void {
  const { projects, service, components } = deps
  const lookup = componentLookup(components)
  const project = async (c: Context<AppEnv>, id: number): Promise<Project> => {
    const found = await projects.get(id)
    if (!found) throw new ServerError('NOT_FOUND', `project ${id} does not exist`)
    await projects.assertAccess(found, c.get('user'))
    return found
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/task_categories',
      tags: ['projects'],
      security: BEARER,
      summary: 'The categories a task may have',
      responses: {
        200: {
          description: 'The categories',
          content: {
            'application/json': {
              schema: z.object({
                data: z.array(z.object({ id: z.enum(TASK_CATEGORIES), name: z.string() })),
                total: z.number().int(),
              }),
            },
          },
        },
      },
    }),
    (c) =>
      c.json(
        {
          data: TASK_CATEGORIES.map((id) => ({ id, name: CATEGORY_NAMES[id] })),
          total: TASK_CATEGORIES.length,
        },
        200,
      ),
  )

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/trees/validate',
      tags: ['projects'],
      security: BEARER,
      summary: 'Validates a pipeline tree; each problem is located at its node (200 either way)',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                pipeline_tree: z.unknown(),
                format: z
                  .enum(['platform', 'bamboo'])
                  .optional()
                  .describe('platform (the default): as tasks take it; bamboo: as run_pipeline'),
              }),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Whether the tree is valid, and its problems',
          content: {
            'application/json': {
              schema: z.object({ valid: z.boolean(), problems: z.array(problemSchema) }),
            },
          },
        },
        400: fail('A body without pipeline_tree'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const body = valid<{ pipeline_tree?: unknown; format?: 'platform' | 'bamboo' }>(c, 'json')
      if (body.pipeline_tree === undefined) {
        throw new ServerError('VALIDATION', 'invalid pipeline_tree: Required', {
          issues: [{ field: 'pipeline_tree', message: 'Required' }],
        })
      }
      const given = body.pipeline_tree
      const isObject = typeof given === 'object' && given !== null && !Array.isArray(given)
      // A platform tree has no id until a task gives it one.
      const tree =
        isObject && (given as { id?: unknown }).id === undefined
          ? { ...(given as object), id: 'pvalidate' }
          : given
      const result = validateTree(tree, { components: lookup })
      const problems = result.problems.map((p) => locate(tree, p))
      const format = body.format ?? 'platform'
      if (result.valid) {
        const dialect = dialectOf(tree as PipelineTree)
        const expected = format === 'platform' ? 'platform' : 'engine'
        if (dialect !== expected) {
          problems.push({
            node_id: null,
            flow_id: null,
            pipeline_id: null,
            path: '',
            code: 'FORMAT',
            message:
              format === 'platform'
                ? 'the tree is in the bamboo (engine) format; a task takes the platform format'
                : 'the tree is in the platform format; run_pipeline takes the bamboo format',
            severity: 'warning',
          })
        }
      }
      return c.json({ valid: result.valid, problems }, 200)
    }) as never,
  )

  const idParams = z.object({ id: decimalInteger(1, Number.MAX_SAFE_INTEGER) })
  const taskSchema = z
    .object({
      id: z.number().int(),
      task_id: z.number().int(),
      project_id: z.number().int(),
      name: z.string(),
      category: z.enum(TASK_CATEGORIES),
      flow_type: z.enum(FLOW_TYPES),
      engine_type: z.enum(ENGINE_TYPES),
      run_id: z.string().describe('The id of the run (GET /api/runs/{id}) once started'),
      state: z.string(),
      task_url: z.string(),
      pipeline_tree: z.unknown(),
    })
    .openapi('ConsoleTask')
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/projects/{id}/tasks',
      tags: ['projects'],
      security: BEARER,
      summary: 'Creates a task of a project from a platform-format tree (admins and members)',
      request: {
        params: idParams,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                name: z.string().trim().min(1).max(128),
                description: z.string().max(10_000).optional(),
                category: z.enum(TASK_CATEGORIES).optional(),
                flow_type: z.enum(FLOW_TYPES).optional(),
                engine_type: z.enum(ENGINE_TYPES).optional(),
                constants: z.record(z.string(), z.unknown()).optional(),
                pipeline_tree: treeObject,
              }),
            },
          },
        },
      },
      responses: {
        201: {
          description: 'The task, not started',
          content: { 'application/json': { schema: taskSchema } },
        },
        400: fail('A malformed body or an invalid tree (issues name each problem)'),
        403: fail('Not a member'),
        404: fail('No such project'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const { id } = valid<{ id: number }>(c, 'param')
      const target = await project(c, id)
      const body = valid<{
        name: string
        description?: string
        category?: TaskCategory
        flow_type?: FlowType
        engine_type?: EngineType
        constants?: Record<string, unknown>
        pipeline_tree: Record<string, unknown>
      }>(c, 'json')
      const origin = new URL(c.req.url).origin
      const { task, tree } = await service.createTask(
        target,
        { user: c.get('user'), app: CONSOLE_APP },
        body,
      )
      return c.json(
        {
          id: task.id,
          task_id: task.id,
          project_id: task.projectId,
          name: task.name,
          category: task.category,
          flow_type: task.flowType,
          engine_type: task.engineType,
          run_id: task.pipelineId,
          state: 'CREATED',
          task_url: taskUrl(origin, task),
          pipeline_tree: tree,
        },
        201,
      )
    }) as never,
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/projects/{id}/tasks/{task_id}/start',
      tags: ['projects'],
      security: BEARER,
      summary: 'Starts a task (admins and members); its run is then GET /api/runs/{run_id}',
      request: {
        params: idParams.extend({ task_id: decimalInteger(1, Number.MAX_SAFE_INTEGER) }),
      },
      responses: {
        200: {
          description: 'Started',
          content: {
            'application/json': {
              schema: z.object({
                id: z.number().int(),
                run_id: z.string(),
                started: z.literal(true),
              }),
            },
          },
        },
        400: fail('A malformed id'),
        403: fail('Not a member'),
        404: fail('No such project or task'),
        409: fail('The task has already started'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const { id, task_id } = valid<{ id: number; task_id: number }>(c, 'param')
      const target = await project(c, id)
      const task = await service.task(target, task_id)
      await service.start(target, task, { user: c.get('user'), app: CONSOLE_APP })
      return c.json({ id: task.id, run_id: task.pipelineId, started: true as const }, 200)
    }) as never,
  )
}
