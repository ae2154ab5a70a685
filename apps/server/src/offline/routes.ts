import type { Context } from 'hono'
import { Hono } from 'hono'
import type { Logger } from 'pino'
import type { UserStore } from '../auth/users.js'
import { codeOf, ServerError } from '../errors.js'
import type { AppEnv } from '../http.js'
import { tooDeep, tooDeepError } from '../json-depth.js'
import { isObject } from './checks.js'
import { envelope, envelopeError } from './envelope.js'
import { fileRefs, type JobFiles } from './files.js'
import type { OfflineRuns } from './runs.js'
import type { OfflineEngine, OfflineTemplates } from './templates.js'
import { requireFlowEngineUser, type UserMode } from './users.js'

type C = Context<AppEnv>

/** The path of an engine's calls under the prefix: `/engine/{engineId}/{engineKey}`. */
export const ENGINE_PATH = '/engine/:engineId/:engineKey'

function integer(
  value: string | undefined,
  field: string,
  options: { min?: number; max?: number } = {},
): number {
  const min = options.min ?? 1
  const max = options.max ?? Number.MAX_SAFE_INTEGER
  const n = value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN
  if (!(n >= min && n <= max)) {
    throw new ServerError(
      'VALIDATION',
      `${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value ?? null)}`,
      {
        issues: [{ field, message: `must be an integer from ${min} to ${max}` }],
      },
    )
  }
  return n
}

async function jsonBody(c: C, required: boolean): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') {
    if (required)
      throw new ServerError('VALIDATION', 'the request needs a JSON body', {
        issues: [{ field: 'body', message: 'required' }],
      })
    return undefined
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new ServerError(
      'VALIDATION',
      `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      {
        issues: [{ field: 'body', message: 'not JSON' }],
      },
    )
  }
  const path = tooDeep(body)
  if (path !== null) throw tooDeepError(path)
  return body
}

/**
 * The twelve calls of the offline API: `GET {prefix}/engine-manager/v1/k8s/info/` and, under
 * `{prefix}/engine/{engineId}/{engineKey}` (the `url` it answers), `/kernel/v1/…`: system
 * parameters, templates, job files, schedules, runs, history, stop and resume. Every call
 * names its user in `X-FlowEngine-UserId` and answers the `{ status, msg, data }` envelope.
 */
export function offlineRoutes(deps: {
  prefix: string
  templates: OfflineTemplates
  runs: OfflineRuns
  files: JobFiles
  users: UserStore
  userMode: UserMode
  logger: Logger
}): Hono<AppEnv> {
  const { prefix, templates, runs, files } = deps
  const app = new Hono<AppEnv>({ strict: false })
  app.onError((error, c) => {
    if (codeOf(error) === 'INTERNAL') {
      deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed')
    }
    return envelopeError(c, error)
  })
  app.use(`${prefix}/engine-manager/*`, requireFlowEngineUser(deps.users, deps.userMode))
  app.use(`${prefix}/engine/*`, requireFlowEngineUser(deps.users, deps.userMode))

  const engineOf = async (c: C): Promise<OfflineEngine> => {
    const engineId = integer(c.req.param('engineId'), 'engineId')
    const engine = await templates.engine(engineId, c.req.param('engineKey') ?? '')
    const key = c.req.query('engineKey')
    if (key !== undefined && key !== engine.key) {
      throw new ServerError(
        'VALIDATION',
        `engineKey ${key} differs from ${engine.key} of the engine url`,
        {
          issues: [{ field: 'engineKey', message: 'differs from the engine url' }],
        },
      )
    }
    for (const [field, value] of [
      ['engineId', c.req.query('engineId')],
      ['engineId', c.req.param('pathEngineId')],
    ] as const) {
      if (value !== undefined && integer(value, field) !== engine.id) {
        throw new ServerError(
          'VALIDATION',
          `engineId ${value} differs from ${engine.id} of the engine url`,
          {
            issues: [{ field, message: 'differs from the engine url' }],
          },
        )
      }
    }
    return engine
  }
  const checkFiles = async (value: unknown) => {
    const missing = await files.missing(fileRefs(value))
    if (missing.length > 0) {
      throw new ServerError('VALIDATION', `no uploaded job file ${missing.join(', ')}`, {
        issues: missing.map((id) => ({ field: 'params', message: `no uploaded job file ${id}` })),
      })
    }
  }
  const kernel = `${prefix}${ENGINE_PATH}/kernel/v1`

  app.get(`${prefix}/engine-manager/v1/k8s/info`, async (c) => {
    const key = c.req.query('engineKey')
    if (key === undefined) {
      throw new ServerError('VALIDATION', 'engineKey is required', {
        issues: [{ field: 'engineKey', message: 'required' }],
      })
    }
    const engine = await templates.engineOf(key)
    return envelope(c, {
      url: `/engine/${engine.id}/${engine.key}`,
      engineKey: engine.key,
      engineId: engine.id,
    })
  })

  app.get(`${kernel}/system/getParam`, async (c) => {
    const engine = await engineOf(c)
    return envelope(c, { engineId: engine.id, engineKey: engine.key })
  })

  app.post(`${kernel}/pipeline/template/:pathEngineId/create`, async (c) => {
    const engine = await engineOf(c)
    const checked = templates.check(await jsonBody(c, true))
    await checkFiles(checked.body.data)
    return envelope(c, await templates.create(engine, c.get('user'), checked))
  })

  app.post(`${kernel}/template/uploadJobFileParam/:param`, async (c) => {
    await engineOf(c)
    const param = c.req.param('param')
    if (!/^[\w.-]{1,64}$/.test(param)) {
      throw new ServerError(
        'VALIDATION',
        'the path parameter must be 1 to 64 letters, digits, _ . or -',
        {
          issues: [{ field: 'param', message: 'must be 1 to 64 letters, digits, _ . or -' }],
        },
      )
    }
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
      throw new ServerError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the file as multipart/form-data in the field file',
        {
          issues: [{ field: 'file', message: 'multipart/form-data required' }],
        },
      )
    }
    let form: Record<string, unknown>
    try {
      form = await c.req.parseBody()
    } catch (error) {
      throw new ServerError(
        'VALIDATION',
        `the multipart body cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        {
          issues: [{ field: 'file', message: 'unreadable multipart body' }],
        },
      )
    }
    const file = form.file
    if (!(file instanceof File)) {
      throw new ServerError('VALIDATION', 'the multipart body needs one file in the field file', {
        issues: [{ field: 'file', message: 'required' }],
      })
    }
    return envelope(c, await files.store(c.get('user'), param, file))
  })

  app.get(`${kernel}/pipeline/:pathEngineId/list`, async (c) => {
    const engine = await engineOf(c)
    return envelope(c, await templates.list(engine, c.get('user')))
  })

  app.get(`${kernel}/pipeline/template/:pathEngineId/:pipelineId/get`, async (c) => {
    const engine = await engineOf(c)
    const id = integer(c.req.param('pipelineId'), 'pipelineId')
    return envelope(c, templates.view(await templates.template(engine, c.get('user'), id)))
  })

  app.put(`${kernel}/pipeline/template/:pathEngineId/update`, async (c) => {
    const engine = await engineOf(c)
    const checked = templates.check(await jsonBody(c, true))
    await checkFiles(checked.body.data)
    return envelope(c, await templates.update(engine, c.get('user'), checked))
  })

  app.post(`${kernel}/pipeline/:pathEngineId/:pipelineId/start`, async (c) => {
    const engine = await engineOf(c)
    const id = integer(c.req.param('pipelineId'), 'pipelineId')
    const once = c.req.query('once')
    if (once !== undefined && once !== 'true' && once !== 'false') {
      throw new ServerError(
        'VALIDATION',
        `once must be true or false, got ${JSON.stringify(once)}`,
        {
          issues: [{ field: 'once', message: 'must be true or false' }],
        },
      )
    }
    const user = c.get('user')
    const body = await jsonBody(c, false)
    if (once === 'false') {
      if (body !== undefined && !isObject(body)) {
        throw new ServerError('VALIDATION', 'the body must be a JSON object such as {"data":" "}', {
          issues: [{ field: 'body', message: 'must be an object' }],
        })
      }
      return envelope(c, await templates.switchOn(engine, user, id))
    }
    const template = await templates.template(engine, user, id)
    const checked = templates.check(JSON.parse(template.body))
    const params = runs.checkParams(checked.dag, body)
    await checkFiles(params)
    const run = await runs.start(template, checked, { params, trigger: 'manual', userId: user.id })
    return envelope(c, await runs.view(run, template))
  })

  app.post(`${kernel}/pipeline/:pathEngineId/:pipelineId/stop`, async (c) => {
    const engine = await engineOf(c)
    const id = integer(c.req.param('pipelineId'), 'pipelineId')
    return envelope(c, await templates.switchOff(engine, c.get('user'), id))
  })

  app.get(`${kernel}/pipeline/:pipelineId/historyList`, async (c) => {
    const engine = await engineOf(c)
    const id = integer(c.req.param('pipelineId'), 'pipelineId')
    const page =
      c.req.query('page') === undefined
        ? 1
        : integer(c.req.query('page'), 'page', { max: 1_000_000 })
    const size =
      c.req.query('size') === undefined ? 10 : integer(c.req.query('size'), 'size', { max: 100 })
    const template = await templates.template(engine, c.get('user'), id)
    return envelope(c, await runs.history(template, page, size))
  })

  app.delete(`${kernel}/pipeline/:pipelineRunId/stopHistory`, async (c) => {
    const engine = await engineOf(c)
    const id = integer(c.req.param('pipelineRunId'), 'pipelineRunId')
    const { run, template } = await runs.run(engine, c.get('user'), id)
    await runs.stop(run)
    return envelope(c, await runs.view(run, template))
  })

  app.post(`${kernel}/pipeline/:pipelineRunId/resumeHistory`, async (c) => {
    const engine = await engineOf(c)
    const id = integer(c.req.param('pipelineRunId'), 'pipelineRunId')
    const user = c.get('user')
    const { run, template } = await runs.run(engine, user, id)
    return envelope(c, await runs.resume(run, template, user))
  })

  const unknown = (c: C) =>
    envelopeError(
      c,
      new ServerError('NOT_FOUND', `no offline API call ${c.req.method} ${c.req.path}`),
    )
  app.all(`${prefix}/engine-manager/*`, unknown)
  app.all(`${prefix}/engine/*`, unknown)
  return app
}
