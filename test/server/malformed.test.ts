import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, sequence } from './trees.js'

interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minItems?: number
}

interface Case {
  name: string
  method: string
  path: string
  body?: string
  headers?: Record<string, string>
  token?: string | null
}

const BODY_LIMIT = 64 * 1024
const BAD_JSON = ['{', '{"node_id":', 'nul', '[1,2', "{'node_id':'x'}", '{"a":1,}', '\u0000']
const WRONG_ROOTS = ['[]', '1', '"text"', 'null', 'true', '[{"node_id":"x"}]']

/** A value of the wrong type for a schema, and edge values of the right type. */
function wrongValues(schema: JsonSchema): unknown[] {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return [12345, '', 'x'.repeat(300), { nested: true }]
    case 'array':
      return ['not-an-array', [], [12], { 0: 'x' }]
    case 'object':
      return ['not-an-object', 7, ['a']]
    case 'boolean':
      return ['yes', 1]
    case 'integer':
    case 'number':
      return ['many', 1.5, -100, 1e12]
    default:
      return []
  }
}

/** A plausible value of a schema, naming nothing that exists. */
function sample(schema: JsonSchema): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return 'enot_an_existing_id'
    case 'array':
      return [sample(schema.items ?? { type: 'string' })]
    case 'object':
      return {}
    case 'boolean':
      return true
    case 'integer':
    case 'number':
      return 1
    default:
      return {}
  }
}

function validBody(schema: JsonSchema): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const key of schema.required ?? []) body[key] = sample(schema.properties?.[key] ?? {})
  return body
}

/** Requests that are all wrong in some way, generated from the OpenAPI document's routes. */
function generateCases(document: {
  paths: Record<
    string,
    Record<string, { requestBody?: { content: Record<string, { schema: JsonSchema }> } }>
  >
}): Case[] {
  const cases: Case[] = []
  for (const [template, item] of Object.entries(document.paths)) {
    const paths = template.includes('{engine_type}')
      ? ['bamboo_engine', 'pipeline_engine'].map((type) =>
          template.replace('{engine_type}', type).replace('{instance_id}', 'enot_an_existing_id'),
        )
      : [template.replace('{id}', 'not-a-number')]
    for (const path of paths) {
      for (const [method, operation] of Object.entries(item)) {
        const verb = method.toUpperCase()
        if (verb === 'GET') {
          if (path.startsWith('/api/') || path.includes('/api/v1/')) {
            cases.push({ name: `${verb} ${path} without a token`, method: verb, path, token: null })
          }
          cases.push({ name: `DELETE ${path}`, method: 'DELETE', path })
          continue
        }
        const schema = operation.requestBody?.content['application/json']?.schema
        if (!('get' in item)) cases.push({ name: `GET ${path}`, method: 'GET', path })
        cases.push({ name: `PUT ${path}`, method: 'PUT', path, body: '{}' })
        cases.push({
          name: `${verb} ${path} without a token`,
          method: verb,
          path,
          body: '{}',
          token: null,
        })
        cases.push({
          name: `${verb} ${path} with an unknown token`,
          method: verb,
          path,
          body: '{}',
          token: 'culm_x',
        })
        for (const text of BAD_JSON)
          cases.push({ name: `${verb} ${path} bad JSON ${text}`, method: verb, path, body: text })
        cases.push({
          name: `${verb} ${path} as text/plain`,
          method: verb,
          path,
          body: '{}',
          headers: { 'content-type': 'text/plain' },
        })
        cases.push({
          name: `${verb} ${path} huge body`,
          method: verb,
          path,
          body: JSON.stringify({ node_id: 'x'.repeat(BODY_LIMIT * 2) }),
        })
        if (!schema) continue
        for (const text of WRONG_ROOTS)
          cases.push({ name: `${verb} ${path} body ${text}`, method: verb, path, body: text })
        const base = validBody(schema)
        if ((schema.required ?? []).length > 0) {
          cases.push({ name: `${verb} ${path} missing fields`, method: verb, path, body: '{}' })
        }
        cases.push({
          name: `${verb} ${path} unknown field`,
          method: verb,
          path,
          body: JSON.stringify({ ...base, unexpected_field: 1 }),
        })
        cases.push({
          name: `${verb} ${path} nested 5000 levels deep`,
          method: verb,
          path,
          body: `{"${Object.keys(schema.properties ?? { data: {} })[0]}":${'['.repeat(5000)}${']'.repeat(5000)}}`,
        })
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          for (const value of wrongValues(property)) {
            cases.push({
              name: `${verb} ${path} ${key}=${JSON.stringify(value).slice(0, 20)}`,
              method: verb,
              path,
              body: JSON.stringify({ ...base, [key]: value }),
            })
          }
        }
      }
    }
  }
  for (const path of [
    '/api/bamboo/no_such_function',
    '/api/pipeline_engine/no_such_function',
    '/api/nothing',
    '/engine-admin/api/v1/airflow/task_pause/p1',
    '/engine-admin/api/v1/bamboo_engine/task_explode/p1',
    '/engine-admin/api/v2/bamboo_engine/task_pause/p1',
    '/engine-admin/api/v1/bamboo_engine/task_pause',
    '/../etc/passwd',
    '/api/bamboo/run_pipeline/extra',
  ]) {
    cases.push({ name: `POST ${path}`, method: 'POST', path, body: '{}' })
  }
  return cases
}

/** Every row of every table, so that a change anywhere shows. */
async function snapshot(t: TestServer): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const table of await t.store.db.introspection.getTables()) {
    // biome-ignore lint/suspicious/noExplicitAny: every table, whatever its columns
    const rows = await (t.store.db as any).selectFrom(table.name).selectAll().execute()
    out[table.name] = rows.map((row: unknown) => JSON.stringify(row)).sort()
  }
  return out
}

for (const database of DATABASES) {
  describe(`malformed requests on ${database}`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database, { bodyLimit: BODY_LIMIT })
    })
    afterAll(async () => {
      await t?.close()
    })

    it('answers hundreds of generated malformed requests with a 4xx and changes nothing', async () => {
      const waiting = act('callback_node')
      const failing = act('fail_ctrl_node', { bit: 0 })
      const done = act('debug_node')
      const running = sequence(waiting)
      const failed = sequence(failing)
      const finished = sequence(done)
      for (const tree of [running, failed, finished]) {
        expect((await t.post('/api/bamboo/run_pipeline', { pipeline: tree })).status).toBe(200)
      }
      await t.settle()
      const document = (await t.request('GET', '/openapi.json', { token: null })).body
      const cases = generateCases(document)
      // Calls the current states refuse, against pipelines and nodes that exist.
      const refused: Array<[string, unknown]> = [
        ['/api/bamboo/resume_pipeline', { pipeline_id: running.id }],
        ['/api/bamboo/retry_node', { node_id: waiting.id }],
        ['/api/bamboo/skip_node', { node_id: waiting.id }],
        ['/api/bamboo/pause_node_appoint', { node_id: done.id }],
        ['/api/bamboo/resume_node_appoint', { node_id: done.id }],
        ['/api/bamboo/callback', { node_id: waiting.id, version: 'vwrong', data: {} }],
        ['/api/bamboo/forced_fail_activity', { node_id: failing.id }],
        ['/api/bamboo/skip_exclusive_gateway', { node_id: failing.id, flow_id: 'fx' }],
        ['/api/bamboo/retry_subprocess', { node_id: failing.id }],
        ['/api/bamboo/revoke_pipeline', { pipeline_id: waiting.id }],
        ['/api/bamboo/run_pipeline', { pipeline: finished }],
        ['/api/bamboo/run_pipeline', { pipeline: { activities: 5 } }],
        ['/api/pipeline_engine/retry_node', { node_id: failing.id }],
        ['/api/pipeline_engine/skip_node', { node_id: done.id }],
        [`/engine-admin/api/v1/bamboo_engine/task_resume/${running.id}`, {}],
        [`/engine-admin/api/v1/bamboo_engine/node_skip/${waiting.id}`, {}],
        [`/engine-admin/api/v1/bamboo_engine/node_retry/${done.id}`, { inputs: { bit: 1 } }],
        [`/engine-admin/api/v1/pipeline_engine/task_pause/${running.id}`, {}],
        // Expressions over the limits are refused before anything runs.
        [
          '/api/bamboo/run_pipeline',
          {
            pipeline: sequence(
              act('debug_node', { x: `\${${'('.repeat(100)}1${')'.repeat(100)}}` }),
            ),
          },
        ],
        [
          '/api/bamboo/run_pipeline',
          { pipeline: sequence(act('debug_node', { x: `\${${'1 + '.repeat(1_200)}1}` })) },
        ],
        [
          '/api/pipeline_engine/start_pipeline',
          {
            pipeline: sequence(act('debug_node', { x: `\${${'['.repeat(70)}${']'.repeat(70)}}` })),
          },
        ],
      ]
      for (const [path, body] of refused) {
        cases.push({
          name: `refused ${path} ${JSON.stringify(body).slice(0, 40)}`,
          method: 'POST',
          path,
          body: JSON.stringify(body),
        })
      }
      expect(cases.length).toBeGreaterThanOrEqual(200)

      const before = await snapshot(t)
      const failures: string[] = []
      let next = 0
      const worker = async () => {
        while (next < cases.length) {
          const c = cases[next++]!
          const answer = await t.request(c.method, c.path, {
            ...(c.body === undefined ? {} : { body: c.body }),
            ...(c.headers ? { headers: c.headers } : {}),
            ...(c.token === undefined ? {} : { token: c.token }),
          })
          const isClientError = answer.status >= 400 && answer.status < 500
          const isEmptyRead = answer.status === 200 && answer.body?.result === true
          if (!isClientError && !isEmptyRead)
            failures.push(
              `${c.name}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
            )
          // The offline API (seed 003) writes its message in `msg`, beside a non-zero `status`.
          const message =
            c.path.startsWith('/engine/') || c.path.startsWith('/engine-manager/')
              ? answer.body?.status === answer.status && answer.body?.msg
              : answer.body?.message
          if (isClientError && typeof message !== 'string') failures.push(`${c.name}: no message`)
        }
      }
      await Promise.all(Array.from({ length: 8 }, worker))
      await t.settle()
      expect(failures).toEqual([])
      expect(await snapshot(t)).toEqual(before)
    })
  })
}
