import { type OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../http.js'
import { OK_MESSAGE } from './envelope.js'
import { USER_HEADER } from './users.js'

const envelope = z
  .object({
    status: z
      .number()
      .int()
      .describe(`0 on success; the HTTP status (400, 401, 403, 404, 409, 413, 415) on failure`),
    msg: z.string().describe(`"${OK_MESSAGE}" on success; what is wrong on failure`),
    data: z.unknown().describe('The answer; on failure { code, issues: [{ field, message }] }'),
  })
  .openapi('OfflineEnvelope')

const userHeader = z.object({
  [USER_HEADER]: z.string().describe('The Culm user (id or name) the call is made as'),
})
const engineParams = z.object({
  engineId: z.string().describe('The engine id `info` answered'),
  engineKey: z.string().describe('The engine key'),
})
const engineKeyQuery = z.object({ engineKey: z.string().optional() })
const answers = {
  200: { description: 'Success: status 0', content: { 'application/json': { schema: envelope } } },
  400: {
    description: 'A malformed request, naming each field',
    content: { 'application/json': { schema: envelope } },
  },
  401: {
    description: `No ${USER_HEADER}, an unknown user, or (token mode) no token`,
    content: { 'application/json': { schema: envelope } },
  },
  403: {
    description: "Another user's pipeline",
    content: { 'application/json': { schema: envelope } },
  },
  404: {
    description: 'An unknown engine, pipeline or run',
    content: { 'application/json': { schema: envelope } },
  },
  409: {
    description: 'A state that refuses the call, or a pipelineKey taken',
    content: { 'application/json': { schema: envelope } },
  },
}
const template = z
  .object({
    id: z.number().int().optional().describe('The pipeline id (update: required)'),
    pipelineKey: z.string().describe('Unique in the engine'),
    data: z
      .object({
        name: z.string(),
        describe: z.string().nullable().optional(),
        nodes: z.array(
          z
            .object({
              nodeId: z.string(),
              type: z.string().describe('START, or the component code of a job node'),
              componentKey: z
                .string()
                .nullable()
                .optional()
                .describe('The component code, if not the type'),
              params: z
                .unknown()
                .optional()
                .describe('The node inputs: { key: value } or [{ key, value }]'),
              inputSlots: z
                .array(z.object({ id: z.string() }))
                .nullable()
                .optional(),
              outputSlots: z
                .array(z.object({ id: z.string() }))
                .nullable()
                .optional(),
            })
            .passthrough(),
        ),
        edges: z.array(
          z
            .object({
              source: z.unknown().describe('A node id, or { nodeId, slotId } / { cell, port }'),
              target: z.unknown().describe('A node id, or { nodeId, slotId } / { cell, port }'),
            })
            .passthrough(),
        ),
        executionConfig: z
          .object({
            runMode: z.enum(['SINGLE', 'CRON', 'INTERVAL']),
            cronExpression: z.string().nullable().optional(),
            timezone: z
              .string()
              .nullable()
              .optional()
              .describe(
                "Culm: the IANA time zone the cron expression is read in (null: CULM_OFFLINE_TIMEZONE, else the server process's own)",
              ),
            interval: z.number().nullable().optional(),
            intervalUnit: z.string().nullable().optional(),
            startAt: z.union([z.number(), z.string()]).nullable().optional(),
            retryCount: z.number().nullable().optional(),
            retryGapTime: z.number().nullable().optional(),
            timeOut: z.number().nullable().optional(),
            timeOutUnit: z.string().nullable().optional(),
            delayTime: z.number().nullable().optional(),
          })
          .passthrough()
          .nullable()
          .optional(),
      })
      .passthrough(),
  })
  .passthrough()
  .openapi('OfflineTemplate')

/** Describes the offline API's routes in the OpenAPI document (the handlers are plain Hono). */
export function documentOfflineRoutes(app: OpenAPIHono<AppEnv>, prefix: string): void {
  const kernel = `${prefix}/engine/{engineId}/{engineKey}/kernel/v1`
  const route = (
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    summary: string,
    request: {
      params?: z.ZodObject
      query?: z.ZodObject
      body?: z.ZodType
      multipart?: boolean
    } = {},
  ) => {
    const params = request.params ? engineParams.extend(request.params.shape) : engineParams
    app.openAPIRegistry.registerPath({
      method,
      path,
      tags: ['offline pipelines'],
      summary,
      request: {
        headers: userHeader,
        ...(path.includes('{engineId}') ? { params } : {}),
        query: request.query ? engineKeyQuery.extend(request.query.shape) : engineKeyQuery,
        ...(request.body
          ? {
              body: {
                required: true,
                content: {
                  [request.multipart ? 'multipart/form-data' : 'application/json']: {
                    schema: request.body,
                  },
                },
              },
            }
          : {}),
      },
      responses: answers,
    })
  }
  const engineId = z.object({ pathEngineId: z.string() })
  route(
    'get',
    `${prefix}/engine-manager/v1/k8s/info/`,
    'The engine url of an engine key: { url, engineId }',
  )
  route('get', `${kernel}/system/getParam`, 'The engine id: { engineId }')
  route('post', `${kernel}/pipeline/template/{pathEngineId}/create`, 'Creates a DAG template', {
    params: engineId,
    body: template,
  })
  route(
    'post',
    `${kernel}/template/uploadJobFileParam/{param}`,
    'Uploads a job file (field file)',
    {
      params: z.object({ param: z.string() }),
      body: z.object({ file: z.string().describe('The file') }),
      multipart: true,
    },
  )
  route('get', `${kernel}/pipeline/{pathEngineId}/list`, 'The templates of the engine', {
    params: engineId,
  })
  route('get', `${kernel}/pipeline/template/{pathEngineId}/{pipelineId}/get`, 'One template', {
    params: engineId.extend({ pipelineId: z.string() }),
  })
  route(
    'put',
    `${kernel}/pipeline/template/{pathEngineId}/update`,
    'Replaces a template (by body id)',
    {
      params: engineId,
      body: template,
    },
  )
  route(
    'post',
    `${kernel}/pipeline/{pathEngineId}/{pipelineId}/start`,
    'once=false: switches the schedule on (body {"data":" "}); otherwise starts a run with per-node parameters { nodeId: { key: value } }',
    {
      params: engineId.extend({ pipelineId: z.string() }),
      query: z.object({ once: z.enum(['true', 'false']).optional() }),
      body: z.record(z.string(), z.unknown()),
    },
  )
  route(
    'post',
    `${kernel}/pipeline/{pathEngineId}/{pipelineId}/stop`,
    'Switches the schedule off',
    {
      params: engineId.extend({ pipelineId: z.string() }),
    },
  )
  route('get', `${kernel}/pipeline/{pipelineId}/historyList`, 'Runs of a template, newest first', {
    params: z.object({ pipelineId: z.string() }),
    query: z.object({
      page: z.string().optional(),
      size: z.string().optional(),
      engineId: z.string().optional(),
    }),
  })
  route('delete', `${kernel}/pipeline/{pipelineRunId}/stopHistory`, 'Stops (revokes) a run', {
    params: z.object({ pipelineRunId: z.string() }),
    query: z.object({ engineId: z.string().optional() }),
  })
  route(
    'post',
    `${kernel}/pipeline/{pipelineRunId}/resumeHistory`,
    'Resumes a run: a paused one goes on, failed nodes retry, a stopped one starts again as a new run',
    {
      params: z.object({ pipelineRunId: z.string() }),
      query: z.object({ engineId: z.string().optional() }),
    },
  )
}
