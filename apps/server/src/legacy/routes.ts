import type { PipelineTree } from '@culm/tree'
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { PipelineAccess } from '../access.js'
import { HTTP_STATUS, ServerError } from '../errors.js'
import { type AppEnv, BEARER, errorSchema, sendError } from '../http.js'
import { toJson } from '../json.js'
import type { ActionResult, LegacyEngine } from './adapter.js'

const id = (what: string) => z.string().min(1).max(128).describe(what)
const object = z.record(z.string(), z.unknown())
const nodeOnly = z.strictObject({ node_id: id('Node id') })
const pipelineOnly = z.strictObject({ pipeline_id: id('Pipeline id') })

interface LegacyFunction {
  name: string
  summary: string
  body: z.ZodType
  /** Reads answer `{ result, message, data }`; actions `{ result, message }`. */
  read: boolean
  // biome-ignore lint/suspicious/noExplicitAny: each body is validated by its own schema first
  call: (legacy: LegacyEngine, body: any, c: Context<AppEnv>) => Promise<ActionResult<unknown>>
}

/** The functions of the older `pipeline.engine.api`, by name. */
export const LEGACY_FUNCTIONS: LegacyFunction[] = [
  {
    name: 'start_pipeline',
    summary: 'Validates a pipeline tree and runs it on the pipeline_engine adapter',
    read: false,
    body: z.strictObject({
      pipeline: object.describe('A pipeline tree, in the engine format or the platform format'),
      root_pipeline_data: object.optional(),
      check_workers: z.boolean().optional().describe('Accepted for compatibility'),
      priority: z.number().int().min(0).max(255).optional().describe('Accepted for compatibility'),
      queue: z.string().max(128).optional().describe('Accepted for compatibility'),
    }),
    call: (l, b, c) =>
      l.startPipeline(
        {
          pipeline: b.pipeline as PipelineTree,
          ...(b.root_pipeline_data ? { rootPipelineData: b.root_pipeline_data } : {}),
        },
        c.get('user').id,
      ),
  },
  {
    name: 'pause_pipeline',
    summary: 'Pauses a pipeline',
    read: false,
    body: pipelineOnly,
    call: (l, b) => l.pausePipeline(b.pipeline_id),
  },
  {
    name: 'resume_pipeline',
    summary: 'Resumes a paused pipeline',
    read: false,
    body: pipelineOnly,
    call: (l, b) => l.resumePipeline(b.pipeline_id),
  },
  {
    name: 'revoke_pipeline',
    summary: 'Revokes a pipeline',
    read: false,
    body: pipelineOnly,
    call: (l, b) => l.revokePipeline(b.pipeline_id),
  },
  {
    name: 'pause_node_appointment',
    summary: 'Appoints a pause at a node (or pauses a subprocess node)',
    read: false,
    body: nodeOnly,
    call: (l, b) => l.pauseNodeAppointment(b.node_id),
  },
  {
    name: 'resume_node_appointment',
    summary: 'Lifts an appointed pause (or resumes a subprocess node)',
    read: false,
    body: nodeOnly,
    call: (l, b) => l.resumeNodeAppointment(b.node_id),
  },
  {
    name: 'retry_node',
    summary: 'Retries a failed node, with new inputs when given',
    read: false,
    body: z.strictObject({ node_id: id('Failed node id'), inputs: object.nullable().optional() }),
    call: (l, b) => l.retryNode(b.node_id, b.inputs),
  },
  {
    name: 'skip_node',
    summary: 'Skips a failed activity',
    read: false,
    body: nodeOnly,
    call: (l, b) => l.skipNode(b.node_id),
  },
  {
    name: 'skip_exclusive_gateway',
    summary: 'Skips a failed exclusive gateway along a flow',
    read: false,
    body: z.strictObject({ node_id: id('Gateway id'), flow_id: id('Flow to take') }),
    call: (l, b) => l.skipExclusiveGateway(b.node_id, b.flow_id),
  },
  {
    name: 'skip_conditional_parallel_gateway',
    summary: 'Skips a failed conditional parallel gateway along the chosen flows',
    read: false,
    body: z.strictObject({
      node_id: id('Gateway id'),
      flow_ids: z.array(id('Flow id')).min(1).max(1000),
      converge_gateway_id: id('The matching converge gateway'),
    }),
    call: (l, b) => l.skipConditionalParallelGateway(b.node_id, b.flow_ids, b.converge_gateway_id),
  },
  {
    name: 'forced_fail',
    summary: 'Fails a running activity at once',
    read: false,
    body: z.strictObject({
      node_id: id('Running activity id'),
      kill: z.boolean().optional().describe('Accepted for compatibility'),
      ex_data: z.string().max(65536).optional(),
    }),
    call: (l, b) => l.forcedFail(b.node_id, b.ex_data ?? ''),
  },
  {
    name: 'activity_callback',
    summary: 'Calls back an activity waiting for a callback',
    read: false,
    body: z.strictObject({ activity_id: id('Waiting activity id'), callback_data: z.unknown() }),
    call: (l, b) => l.activityCallback(b.activity_id, b.callback_data),
  },
  {
    name: 'get_status_tree',
    summary: 'A node status with its descendants down to max_depth levels',
    read: true,
    body: z.strictObject({
      node_id: id('Node or pipeline id'),
      max_depth: z.number().int().min(0).max(100).optional(),
    }),
    call: (l, b) => l.getStatusTree(b.node_id, b.max_depth ?? 1),
  },
  {
    name: 'get_inputs',
    summary: 'A node inputs as last run',
    read: true,
    body: nodeOnly,
    call: (l, b) => l.getInputs(b.node_id),
  },
  {
    name: 'get_outputs',
    summary: 'A node outputs and ex_data as last run',
    read: true,
    body: nodeOnly,
    call: (l, b) => l.getOutputs(b.node_id),
  },
  {
    name: 'get_batch_outputs',
    summary: 'Outputs and ex_data of several nodes',
    read: true,
    body: z.strictObject({ node_ids: z.array(id('Node id')).max(1000) }),
    call: (l, b) => l.getBatchOutputs(b.node_ids),
  },
  {
    name: 'get_activity_histories',
    summary: 'A node archived runs, of one loop or all',
    read: true,
    body: z.strictObject({
      node_id: id('Node id'),
      loop: z.number().int().min(1).nullable().optional(),
    }),
    call: (l, b) => l.getActivityHistories(b.node_id, b.loop),
  },
]

const actionSchema = z
  .object({ result: z.boolean(), message: z.string() })
  .openapi('LegacyActionResult')
const readSchema = z
  .object({ result: z.boolean(), message: z.string(), data: z.unknown() })
  .openapi('LegacyReadResult')

/** The JSON answer of a legacy call and its status. */
export function legacyAnswer(answer: ActionResult<unknown>, read: boolean) {
  const body: Record<string, unknown> = { result: answer.result, message: answer.message }
  if (read) body.data = answer.result ? toJson(answer.data ?? null) : null
  const status = answer.result ? 200 : HTTP_STATUS[answer.code ?? 'CONFLICT']
  return { body, status }
}

/** `POST /api/pipeline_engine/{function_name}`: the older engine's API over the same engine. */
export function registerLegacyRoutes(
  app: OpenAPIHono<AppEnv>,
  legacy: LegacyEngine,
  access: PipelineAccess,
): void {
  const names = new Set(LEGACY_FUNCTIONS.map((f) => f.name))
  for (const fn of LEGACY_FUNCTIONS) {
    const schema = fn.read ? readSchema : actionSchema
    const route = createRoute({
      method: 'post',
      path: `/api/pipeline_engine/${fn.name}`,
      tags: ['pipeline_engine API'],
      summary: fn.summary,
      operationId: `pipeline_engine_${fn.name}`,
      security: BEARER,
      request: { body: { content: { 'application/json': { schema: fn.body } }, required: true } },
      responses: {
        200: { description: 'Done', content: { 'application/json': { schema } } },
        400: {
          description: 'A malformed body',
          content: { 'application/json': { schema: errorSchema } },
        },
        404: { description: 'An unknown id', content: { 'application/json': { schema } } },
        409: {
          description: 'Refused in the current state',
          content: { 'application/json': { schema } },
        },
      },
    })
    app.openapi(route, (async (c: Context<AppEnv>) => {
      const body = (c.req as unknown as { valid(t: 'json'): unknown }).valid('json')
      const task =
        fn.name === 'start_pipeline' ? null : await access.authorize(c.get('user'), body, !fn.read)
      const answer = await fn.call(legacy, body, c)
      if (task) {
        const fields = body as { node_id?: string; activity_id?: string }
        await access.logControl(task, {
          user: c.get('user'),
          surface: 'pipeline_engine',
          operation: fn.name,
          nodeId: fields.node_id ?? fields.activity_id ?? null,
          detail: { ...(body as object), result: answer.result, message: answer.message },
        })
      }
      const { body: json, status } = legacyAnswer(answer, fn.read)
      return c.json(json, status as 200)
    }) as never)
  }
  app.all('/api/pipeline_engine/:name', (c) => {
    const name = c.req.param('name')
    if (!names.has(name)) {
      return sendError(
        c,
        new ServerError('NOT_FOUND', `pipeline_engine function ${name} does not exist`),
      )
    }
    c.header('Allow', 'POST')
    return sendError(
      c,
      new ServerError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed; use POST`),
    )
  })
}
