import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import { DATABASES } from './harness.js'
import { APP, startTaskServer, type TaskServer, TRUSTED_APP } from './tasks-kit.js'
import { act, sequence } from './trees.js'

// biome-ignore lint/suspicious/noExplicitAny: schemas and answers are read by field
type Json = any

interface Case {
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  /** JSON body (POST) or query (GET); a string is sent as the raw body. */
  params?: Record<string, unknown> | string
  credentials?: Record<string, string> | null
  headers?: Record<string, string>
}

/**
 * Values a schema refuses: other types, and the edges its constraints rule out. An untyped
 * schema (callback data) takes any JSON, so it has none.
 */
function wrongValues(schema: Json): unknown[] {
  const type = schema?.type ?? (schema?.enum ? 'string' : undefined)
  const common = [null, { nested: { deeper: [1, 2] } }, ['a', 'b']]
  switch (type) {
    case 'string':
      return [
        ...common,
        12345,
        true,
        ...(schema.minLength ? [''] : []),
        ...(schema.maxLength ? ['x'.repeat(schema.maxLength + 1)] : []),
        ...(schema.enum ? ['not-one-of-them'] : []),
        ...(schema.pattern ? ['12a!'] : []),
      ]
    case 'array':
      return [...common.slice(0, 2), 'not-an-array', [12, null], [{}]]
    case 'object':
      return [null, 'not-an-object', 7, ['a'], true]
    case 'boolean':
      return [...common, 'yes', 1]
    case 'integer':
    case 'number':
      return [...common, 'many', 1.5, -100, 1e300, '0x1f']
    default:
      return []
  }
}

/** Trees the validator must refuse. */
function badTrees(): unknown[] {
  const tree = structuredClone(request.pipeline_tree) as Json
  const noFlow = structuredClone(tree)
  delete noFlow.flows[Object.keys(noFlow.flows)[0]!]
  const unknownComponent = structuredClone(tree)
  Object.values(unknownComponent.activities as Record<string, Json>)[0].component.code =
    'no_such_component'
  const dangling = structuredClone(tree)
  dangling.end_event.incoming = 'line-of-nothing'
  const wrongStart = structuredClone(tree)
  wrongStart.start_event.type = 'ServiceActivity'
  const badGateway = structuredClone(tree)
  for (const gateway of Object.values(badGateway.gateways as Record<string, Json>)) {
    if (gateway.type === 'ExclusiveGateway') gateway.conditions = {}
  }
  return [
    {},
    { activities: 5 },
    { start_event: 'x', end_event: [], activities: {}, flows: {} },
    noFlow,
    unknownComponent,
    dangling,
    wrongStart,
    badGateway,
  ]
}

/** Every row of every table, so that a change anywhere shows. */
async function snapshot(t: TaskServer): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const table of await t.store.db.introspection.getTables()) {
    const rows = await (t.store.db as Json).selectFrom(table.name).selectAll().execute()
    out[table.name] = rows.map((row: unknown) => JSON.stringify(row)).sort()
  }
  return out
}

for (const database of DATABASES) {
  describe(`malformed task API requests on ${database}`, () => {
    let t: TaskServer
    beforeAll(async () => {
      t = await startTaskServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    it('answers hundreds of generated bad requests with a 4xx and changes nothing', async () => {
      const biz = t.projectA.bk_biz_id
      const create = async (tree: unknown) => {
        const answer = await t.gw('POST', `/apigw/fast_create_task/${biz}/`, {
          name: 'target',
          pipeline_tree: tree,
        })
        expect(answer.status).toBe(200)
        return {
          id: answer.body.data.task_id as number,
          tree: answer.body.data.pipeline_tree as Json,
        }
      }
      const { bk_app_code: _c, bk_app_secret: _s, bk_token: _t, ...seed } = request
      const waiting = await create(sequence(act('callback_node'), act('debug_node')))
      const finished = await create(sequence(act('debug_node')))
      const unstarted = await create(seed.pipeline_tree)
      for (const task of [waiting, finished]) {
        expect((await t.gw('POST', `/apigw/start_task/${task.id}/${biz}/`)).status).toBe(200)
      }
      await t.settle()
      const otherTask = await t.gw(
        'POST',
        `/apigw/fast_create_task/${t.projectB.bk_biz_id}/`,
        { name: 'elsewhere', pipeline_tree: seed.pipeline_tree },
        { ...APP, bk_token: t.bob.token },
      )
      expect(otherTask.status).toBe(200)
      const waitingNode = Object.keys(waiting.tree.activities)[0]!
      const doneNode = Object.keys(finished.tree.activities)[0]!

      const document = (await t.request('GET', '/openapi.json', { token: null })).body
      const cases: Case[] = []
      const routes = Object.entries(document.paths as Record<string, Json>).filter(([path]) =>
        path.startsWith('/apigw/'),
      )
      expect(routes.length).toBeGreaterThanOrEqual(10)
      const fill = (template: string, taskId: unknown, projectId: unknown) =>
        template.replace('{task_id}', String(taskId)).replace('{project_id}', String(projectId))
      for (const [template, item] of routes) {
        for (const [verb, operation] of Object.entries(item as Record<string, Json>)) {
          const method = verb.toUpperCase() as 'GET' | 'POST'
          const path = fill(template, waiting.id, biz)
          const schema =
            method === 'POST'
              ? operation.requestBody?.content?.['application/json']?.schema
              : {
                  type: 'object',
                  properties: Object.fromEntries(
                    (operation.parameters ?? [])
                      .filter((p: Json) => p.in === 'query')
                      .map((p: Json) => [p.name, p.schema]),
                  ),
                  required: (operation.parameters ?? [])
                    .filter((p: Json) => p.in === 'query' && p.required)
                    .map((p: Json) => p.name),
                }
          const base: Record<string, unknown> = {}
          if (schema?.properties?.node_id) base.node_id = waitingNode
          if (schema?.properties?.action) base.action = schema.properties.action.enum?.[0]
          if (schema?.properties?.name) base.name = 'generated'
          if (schema?.properties?.pipeline_tree) base.pipeline_tree = seed.pipeline_tree
          if (template === '/apigw/fast_create_task') base.project_id = biz
          const add = (name: string, extra: Partial<Case>) =>
            cases.push({ name: `${method} ${template} ${name}`, method, path, ...extra })

          // Credentials: none, wrong, unknown, off the whitelist, another project's member.
          add('without credentials', { params: base, credentials: null })
          add('with a wrong secret', {
            params: base,
            credentials: { ...APP, bk_app_secret: 'not-the-secret-00', bk_token: t.alice.token },
          })
          add('with an unknown token', { params: base, credentials: { ...APP, bk_token: 'x' } })
          add('naming a user off the whitelist', {
            params: base,
            credentials: { ...APP, bk_username: 'alice' },
          })
          add('naming an unknown user', {
            params: base,
            credentials: { ...TRUSTED_APP, bk_username: 'nobody' },
          })
          add('as a member of another project', {
            params: base,
            credentials: { ...APP, bk_token: t.bob.token },
          })
          add('with a header that is not JSON', {
            params: base,
            credentials: null,
            headers: { 'X-Bkapi-Authorization': '[1,2' },
          })
          // Paths: malformed ids, unknown ids, a task of another project.
          for (const [taskId, projectId] of [
            ['abc', biz],
            ['-1', biz],
            ['1.5', biz],
            [waiting.id, 'x'],
            [waiting.id, '424242'],
            ['99999999', biz],
            [otherTask.body.data.task_id, biz],
            [waiting.id, t.projectB.bk_biz_id],
            ['9'.repeat(40), biz],
          ] as const) {
            if (!template.includes('{task_id}') && taskId !== waiting.id) continue
            if (!template.includes('{project_id}') && projectId !== biz) continue
            cases.push({
              name: `${method} ${template} at task ${taskId} project ${projectId}`,
              method,
              path: fill(template, taskId, projectId),
              params: base,
            })
          }
          add('with scope nonsense', { params: { ...base, scope: 'galaxy' } })
          if (template.includes('{project_id}'))
            add('by project id under scope cmdb_biz', {
              path: fill(template, waiting.id, t.projectB.id + 1000),
              params: base,
            })
          cases.push({ name: `PUT ${template}`, method: 'PUT', path, params: base })
          cases.push({ name: `DELETE ${template}`, method: 'DELETE', path, params: base })
          // Fields: each of the wrong type or out of range, missing ones, unknown ones.
          for (const [key, property] of Object.entries(
            (schema?.properties ?? {}) as Record<string, Json>,
          )) {
            if (key.startsWith('bk_')) continue
            for (const value of wrongValues(property)) {
              if (method === 'GET' && typeof value === 'object' && value !== null) continue
              add(`${key}=${JSON.stringify(value)?.slice(0, 24)}`, {
                params: { ...base, [key]: value },
              })
            }
          }
          for (const key of schema?.required ?? []) {
            const { [key]: _dropped, ...rest } = base
            add(`without ${key}`, { params: rest })
          }
          if (method === 'POST') {
            add('with an unknown field', { params: { ...base, unexpected_field: 1 } })
            for (const text of ['{', '[1,2', '"text"', 'null', '[]', '{"a":1,}', '\u0000']) {
              add(`body ${JSON.stringify(text)}`, {
                params: text,
                credentials: null,
                headers: {
                  'X-Bkapi-Authorization': JSON.stringify({ ...APP, bk_token: t.alice.token }),
                },
              })
            }
          }
        }
      }
      // Trees and constants that fast_create_task refuses.
      for (const [i, tree] of badTrees().entries()) {
        cases.push({
          name: `fast_create_task bad tree ${i}`,
          method: 'POST',
          path: `/apigw/fast_create_task/${biz}/`,
          params: { name: 'bad tree', pipeline_tree: tree },
        })
      }
      for (const constants of [
        { '${missing}': 1 },
        { bk_timing: { a: 1 } },
        { bk_timing: [1] },
        { bk_timing: null },
        { '': 'x' },
      ]) {
        cases.push({
          name: `fast_create_task constants ${JSON.stringify(constants)}`,
          method: 'POST',
          path: `/apigw/fast_create_task/${biz}/`,
          params: { name: 'bad constants', pipeline_tree: seed.pipeline_tree, constants },
        })
      }
      // Values nested deeper than recursive code can follow, written as text.
      const deep = `${'['.repeat(20_000)}"bottom"${']'.repeat(20_000)}`
      const header = {
        'X-Bkapi-Authorization': JSON.stringify({ ...APP, bk_token: t.alice.token }),
      }
      const seedText = JSON.stringify(seed.pipeline_tree)
      for (const [path, text] of [
        [
          `/apigw/fast_create_task/${biz}/`,
          `{"name":"deep","pipeline_tree":${seedText.replace('"value":"1"', `"value":${deep}`)}}`,
        ],
        [
          `/apigw/fast_create_task/${biz}/`,
          `{"name":"deep","pipeline_tree":{"activities":${deep}}}`,
        ],
        [
          `/apigw/fast_create_task/${biz}/`,
          `{"name":"deep","pipeline_tree":${seedText},"constants":{"bk_timing":${deep}}}`,
        ],
        [
          `/apigw/node_callback/${waiting.id}/${biz}/`,
          `{"node_id":"${waitingNode}","callback_data":${deep}}`,
        ],
        [
          `/apigw/operate_node/${waiting.id}/${biz}/`,
          `{"node_id":"${waitingNode}","action":"callback","data":${deep}}`,
        ],
      ] as const) {
        expect(text).toContain(deep)
        cases.push({
          name: `deep ${path}`,
          method: 'POST',
          path,
          params: text,
          credentials: null,
          headers: header,
        })
      }
      cases.push({
        name: 'fast_create_task project ids that differ',
        method: 'POST',
        path: `/apigw/fast_create_task/${biz}/`,
        params: { name: 'x', pipeline_tree: seed.pipeline_tree, project_id: t.projectB.bk_biz_id },
      })
      // Calls the current states refuse.
      const at = (task: { id: number }) => `${task.id}/${biz}`
      for (const [path, params] of [
        [`/apigw/start_task/${at(waiting)}/`, {}],
        [`/apigw/operate_task/${at(waiting)}/`, { action: 'start' }],
        [`/apigw/operate_task/${at(waiting)}/`, { action: 'resume' }],
        [`/apigw/operate_task/${at(finished)}/`, { action: 'pause' }],
        [`/apigw/operate_task/${at(finished)}/`, { action: 'revoke' }],
        [`/apigw/operate_task/${at(unstarted)}/`, { action: 'pause' }],
        [`/apigw/operate_task/${at(unstarted)}/`, { action: 'revoke' }],
        [`/apigw/operate_node/${at(waiting)}/`, { node_id: waitingNode, action: 'retry' }],
        [`/apigw/operate_node/${at(waiting)}/`, { node_id: waitingNode, action: 'skip' }],
        [
          `/apigw/operate_node/${at(waiting)}/`,
          { node_id: waitingNode, action: 'skip_exg', flow_id: 'f' },
        ],
        [`/apigw/operate_node/${at(finished)}/`, { node_id: doneNode, action: 'forced_fail' }],
        [`/apigw/operate_node/${at(finished)}/`, { node_id: doneNode, action: 'callback' }],
        [`/apigw/operate_node/${at(finished)}/`, { node_id: waitingNode, action: 'retry' }],
        [`/apigw/node_callback/${at(finished)}/`, { node_id: doneNode, callback_data: {} }],
        [
          `/apigw/operate_node/${at(unstarted)}/`,
          { node_id: Object.keys(unstarted.tree.activities)[0], action: 'retry' },
        ],
      ] as const) {
        cases.push({
          name: `refused ${path} ${JSON.stringify(params)}`,
          method: 'POST',
          path,
          params,
        })
      }
      expect(cases.length).toBeGreaterThanOrEqual(200)

      const send = (c: Case) => {
        const creds =
          c.credentials === undefined ? { ...APP, bk_token: t.alice.token } : c.credentials
        if (typeof c.params === 'string') {
          return t.request(c.method, c.path, {
            token: null,
            body: c.params,
            ...(c.headers ? { headers: c.headers } : {}),
          })
        }
        if (c.method === 'GET' || c.method === 'DELETE') {
          const query = new URLSearchParams()
          for (const [key, value] of Object.entries({ ...c.params, ...(creds ?? {}) })) {
            query.set(key, typeof value === 'string' ? value : JSON.stringify(value))
          }
          return t.request(c.method, `${c.path}?${query}`, {
            token: null,
            ...(c.headers ? { headers: c.headers } : {}),
          })
        }
        return t.request(c.method, c.path, {
          token: null,
          body: { ...c.params, ...(creds ?? {}) },
          ...(c.headers ? { headers: c.headers } : {}),
        })
      }

      const before = await snapshot(t)
      const failures: string[] = []
      let next = 0
      const worker = async () => {
        while (next < cases.length) {
          const c = cases[next++]!
          const answer = await send(c)
          const clientError = answer.status >= 400 && answer.status < 500
          // A read may ignore what it does not know; it changes nothing either way.
          const read = c.method === 'GET' && answer.status === 200
          if (!clientError && !read) {
            failures.push(
              `${c.name}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
            )
          }
          if (
            clientError &&
            (answer.body?.result !== false || typeof answer.body?.message !== 'string')
          ) {
            failures.push(`${c.name}: no result false with a message`)
          }
        }
      }
      await Promise.all(Array.from({ length: 6 }, worker))
      await t.settle()
      expect(failures).toEqual([])
      expect(await snapshot(t)).toEqual(before)
    })
  })
}
