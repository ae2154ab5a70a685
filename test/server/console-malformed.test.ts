import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, sequence } from './trees.js'

/** The console's routes, with a valid example of each path. */
const GETS = [
  '/api/runs',
  '/api/runs/{run}',
  '/api/runs/{run}/graph',
  '/api/runs/{run}/nodes',
  '/api/runs/{run}/nodes/{node}',
  '/api/stuck',
  '/api/operations',
  '/api/users/1/tokens',
  '/api/task_categories',
  '/api/components',
]

const BAD_SEGMENTS = [
  'x'.repeat(129),
  '%00',
  '%E0%A4%A',
  '%F0%9F%92%A9',
  "'%20or%201=1--",
  '..%2f..%2f',
  '%20',
  '-1',
  '1e3',
]

const BAD_QUERIES = [
  'page=-1',
  'page=1.5',
  'page=99999999999999999999',
  'per_page=1e2',
  'per_page=',
  'sort=',
  'sort=id;drop table culm_states',
  'order=DESC',
  'state=',
  'state=%00',
  'state=RUNNING&state=FAILED',
  'engine_type[]=bamboo_engine',
  'project_id=1&project_id=2',
  'started_after=1e12',
  'started_before=-5',
  `q=${'%25'.repeat(100)}`,
  'q=%00',
  `task_name=${'_'.repeat(50)}`,
  'running_longer_than=99999999999999999',
  'kind=',
  'since=NaN',
  'user_id=0x10',
  'operation=',
]

const BAD_BODIES: unknown[] = [
  '',
  'null',
  '[]',
  '"tree"',
  '{',
  '{"pipeline_tree": null}',
  '{"pipeline_tree": "x"}',
  '{"pipeline_tree": {"activities": 5}}',
  '{"pipeline_tree": {"start_event": {"id": 1}}, "format": "platform"}',
  '{"name": 5, "pipeline_tree": {}}',
  '{"name": "x", "pipeline_tree": {}, "constants": []}',
  '{"name": "x", "pipeline_tree": {"activities": {"a": {"component": null}}}}',
  `{"name": "${'x'.repeat(200)}", "pipeline_tree": {}}`,
  `{"pipeline_tree": ${'['.repeat(200)}${']'.repeat(200)}}`,
]

for (const database of DATABASES) {
  describe(`malformed requests to the console's routes on ${database}`, () => {
    let t: TestServer
    let run = ''
    let node = ''

    beforeAll(async () => {
      t = await startTestServer(database)
      const waiting = act('callback_node')
      const tree = sequence(waiting)
      await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      await t.settle()
      run = tree.id
      node = waiting.id
    })
    afterAll(async () => {
      await t?.close()
    })

    const fill = (path: string) => path.replace('{run}', run).replace('{node}', node)

    it('answers each read with a 4xx naming the problem, never a 5xx', async () => {
      for (const path of GETS) {
        for (const query of BAD_QUERIES) {
          const answer = await t.request('GET', `${fill(path)}?${query}`)
          expect(answer.status, `${path}?${query}`).toBeLessThan(500)
          if (answer.status >= 400) expect(answer.body.message, `${path}?${query}`).toBeTruthy()
        }
        for (const segment of BAD_SEGMENTS) {
          for (const bad of [
            path.replace('{run}', segment).replace('{node}', node),
            path.replace('{run}', run).replace('{node}', segment),
            path.replace('/1/', `/${segment}/`),
          ]) {
            if (!bad.includes(segment)) continue
            const answer = await t.request('GET', bad)
            expect(answer.status, bad).toBeGreaterThanOrEqual(400)
            expect(answer.status, bad).toBeLessThan(500)
          }
        }
      }
      const events = await t.request('GET', `/api/runs/${'x'.repeat(129)}/events`)
      expect(events.status).toBe(400)
    })

    it('answers each malformed body with a 4xx, never a 5xx', async () => {
      for (const path of ['/api/trees/validate', '/api/projects/1/tasks']) {
        for (const body of BAD_BODIES) {
          const answer = await t.request('POST', path, { body: body as string })
          expect(answer.status, `${path} ${String(body).slice(0, 60)}`).toBeLessThan(500)
          const validate = path === '/api/trees/validate'
          if (!(validate && answer.status === 200)) {
            expect(answer.status, `${path} ${String(body).slice(0, 60)}`).toBeGreaterThanOrEqual(
              400,
            )
          }
        }
        const text = await t.request('POST', path, {
          body: 'pipeline_tree=1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
        expect(text.status, path).toBeGreaterThanOrEqual(400)
        expect(text.status, path).toBeLessThan(500)
      }
      for (const path of [
        '/api/users/1/tokens/0',
        '/api/users/1/tokens/99999999999999999999',
        '/api/users/%00/tokens/1',
      ]) {
        const answer = await t.request('DELETE', path)
        expect(answer.status, path).toBeGreaterThanOrEqual(400)
        expect(answer.status, path).toBeLessThan(500)
      }
    })

    it('documents every console route in the OpenAPI document, behind the bearer scheme', async () => {
      const doc = (await t.request('GET', '/openapi.json', { token: null })).body
      const expected: Array<[string, string]> = [
        ['/api/runs', 'get'],
        ['/api/runs/{id}', 'get'],
        ['/api/runs/{id}/graph', 'get'],
        ['/api/runs/{id}/nodes', 'get'],
        ['/api/runs/{id}/nodes/{node_id}', 'get'],
        ['/api/runs/{id}/events', 'get'],
        ['/api/stuck', 'get'],
        ['/api/operations', 'get'],
        ['/api/users/{id}/tokens', 'get'],
        ['/api/users/{id}/tokens/{token_id}', 'delete'],
        ['/api/task_categories', 'get'],
        ['/api/trees/validate', 'post'],
        ['/api/projects/{id}/tasks', 'post'],
        ['/api/projects/{id}/tasks/{task_id}/start', 'post'],
      ]
      for (const [path, method] of expected) {
        const operation = doc.paths[path]?.[method]
        expect(operation, `${method} ${path}`).toBeDefined()
        expect(operation.security, `${method} ${path}`).toEqual([{ bearer: [] }])
        if (path !== '/api/task_categories') {
          expect(Object.keys(operation.responses), `${method} ${path}`).toContain('400')
        }
      }
      expect(doc.paths['/api/runs/{id}/events'].get.responses['200'].content).toHaveProperty(
        'text/event-stream',
      )
      const component =
        doc.paths['/api/components'].get.responses['200'].content['application/json'].schema
      expect(JSON.stringify(component)).toContain('inputs_schema')
    })
  })
}
