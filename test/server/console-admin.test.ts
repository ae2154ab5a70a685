import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import { type Answer, DATABASES } from './harness.js'
import { startTaskServer, type TaskServer } from './tasks-kit.js'

function ok(answer: Answer, status = 200): Answer {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  return answer
}

for (const database of DATABASES) {
  describe(`the console's plugins, tokens and operation log on ${database}`, () => {
    let t: TaskServer

    beforeAll(async () => {
      t = await startTaskServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    it("lists each component with its description and its inputs' and outputs' JSON Schemas", async () => {
      const plugins = ok(await t.request('GET', '/api/components', { token: t.alice.token })).body
      const components = plugins.flatMap((p: { components: unknown[] }) => p.components)
      const sleep = components.find(
        (c: { code: string; test: boolean }) => c.code === 'sleep_timer' && !c.test,
      )
      expect(sleep).toMatchObject({
        version: expect.any(String),
        description: expect.any(String),
        schedule_mode: 'poll',
        inputs_schema: { type: 'object', properties: expect.any(Object) },
        outputs_schema: { type: 'object' },
      })
      expect(Object.keys(sleep.inputs_schema.properties)).toContain('bk_timing')
      for (const c of components) {
        expect(c.inputs_schema.type, c.code).toBe('object')
        expect(c.outputs_schema.type, c.code).toBe('object')
      }
    })

    it('lists and revokes tokens: a user their own, an admin anyone’s, nobody another’s', async () => {
      const second = ok(await t.post(`/api/users/${t.alice.id}/tokens`, {}, t.alice.token), 201)
        .body.token as string
      const listed = ok(
        await t.request('GET', `/api/users/${t.alice.id}/tokens`, { token: second }),
      ).body
      expect(listed.total).toBe(2)
      expect(listed.data.map((k: { prefix: string }) => second.startsWith(k.prefix))).toEqual([
        false,
        true,
      ])
      expect(JSON.stringify(listed)).not.toContain(second)
      expect(
        (await t.request('GET', `/api/users/${t.alice.id}/tokens`, { token: t.bob.token })).status,
      ).toBe(403)
      const secondId = listed.data[1].id
      expect(
        (
          await t.request('DELETE', `/api/users/${t.alice.id}/tokens/${secondId}`, {
            token: t.bob.token,
          })
        ).status,
      ).toBe(403)
      // A token of alice named under bob is not found.
      expect((await t.request('DELETE', `/api/users/${t.bob.id}/tokens/${secondId}`)).status).toBe(
        404,
      )
      ok(
        await t.request('DELETE', `/api/users/${t.alice.id}/tokens/${secondId}`, {
          token: t.alice.token,
        }),
      )
      // The revoked token no longer opens anything, at once.
      expect((await t.request('GET', '/api/me', { token: second })).status).toBe(401)
      expect(
        (await t.request('DELETE', `/api/users/${t.alice.id}/tokens/${secondId}`)).status,
      ).toBe(404)
      expect(
        ok(await t.request('GET', `/api/users/${t.bob.id}`, { token: t.bob.token })).body,
      ).toEqual({ id: t.bob.id, name: 'bob', is_admin: false })
      expect(
        (await t.request('GET', `/api/users/${t.bob.id}`, { token: t.alice.token })).status,
      ).toBe(403)
      expect((await t.request('GET', '/api/users/999999')).status).toBe(404)
      const admin = ok(await t.request('GET', `/api/users/${t.bob.id}/tokens`)).body
      expect(admin.total).toBe(1)
      expect((await t.request('GET', '/api/users/999999/tokens')).status).toBe(404)
      for (const path of ['/api/users/0/tokens', '/api/users/x/tokens', '/api/users/1/tokens/x']) {
        const method = path.endsWith('/x') ? 'DELETE' : 'GET'
        expect((await t.request(method, path)).status, path).toBe(400)
      }
    })

    it('shows the operation log across projects, a member only their projects’, filtered', async () => {
      const { bk_app_code: _c, bk_app_secret: _s, bk_token: _t, ...fields } = request
      const created = ok(
        await t.gw('POST', '/apigw/fast_create_task/', {
          ...fields,
          project_id: String(t.projectA.bk_biz_id),
        }),
      ).body.data
      ok(await t.gw('POST', `/apigw/start_task/${created.task_id}/${t.projectA.bk_biz_id}/`))
      await t.settle()
      const all = ok(await t.request('GET', '/api/operations?per_page=200')).body
      const operations = all.data.map((o: { operation: string }) => o.operation)
      expect(operations).toEqual(expect.arrayContaining(['start', 'create', 'project_create']))
      expect(all.total).toBe(all.data.length)
      // Newest first.
      const times = all.data.map((o: { created_at: number; id: number }) => [o.created_at, o.id])
      expect(times).toEqual([...times].sort((a, b) => b[0] - a[0] || b[1] - a[1]))
      const start = all.data.find((o: { operation: string }) => o.operation === 'start')
      expect(start).toMatchObject({
        project_id: t.projectA.id,
        project_name: 'project A',
        task_id: created.task_id,
        user_id: t.alice.id,
        operator: 'alice',
        app_code: 'esb_test',
      })

      const alice = ok(await t.request('GET', '/api/operations', { token: t.alice.token })).body
      expect(alice.data.every((o: { project_id: number }) => o.project_id === t.projectA.id)).toBe(
        true,
      )
      const bob = ok(await t.request('GET', '/api/operations', { token: t.bob.token })).body
      expect(bob.data.every((o: { project_id: number }) => o.project_id === t.projectB.id)).toBe(
        true,
      )
      const bobAskingA = ok(
        await t.request('GET', `/api/operations?project_id=${t.projectA.id}`, {
          token: t.bob.token,
        }),
      ).body
      expect(bobAskingA).toEqual({ data: [], total: 0 })

      const filtered = async (query: string) =>
        ok(await t.request('GET', `/api/operations?${query}`)).body.data.map(
          (o: { operation: string }) => o.operation,
        )
      expect(await filtered(`task_id=${created.task_id}&sort=created_at&order=asc`)).toEqual([
        'create',
        'start',
      ])
      expect(await filtered('operation=start')).toEqual(['start'])
      expect(await filtered(`user_id=${t.bob.id}`)).toEqual([])
      expect(await filtered(`since=${start.created_at + 1}`)).toEqual([])
      expect((await filtered(`until=${start.created_at}`)).length).toBe(all.total)
      const page = ok(await t.request('GET', '/api/operations?per_page=1&page=2')).body
      expect(page.data).toHaveLength(1)
      expect(page.total).toBe(all.total)
      // An engine admin action on the task's run goes into the log, with who did it.
      const run = ok(await t.request('GET', `/api/runs?task_id=${created.task_id}`)).body.data[0]
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/task_pause/${run.id}`, {}))
      const refused = await t.post(`/engine-admin/api/v1/bamboo_engine/task_pause/${run.id}`, {})
      expect(refused.status).toBe(409)
      const paused = ok(
        await t.request('GET', '/api/operations?operation=engine_admin.task_pause'),
      ).body
      expect(paused.data).toEqual([
        expect.objectContaining({
          task_id: created.task_id,
          project_id: t.projectA.id,
          node_id: null,
          operator: 'admin',
          detail: { engine_type: 'bamboo_engine' },
        }),
      ])
      for (const query of ['since=x', 'project_id=0', 'sort=detail', 'per_page=500', 'order=x']) {
        expect((await t.request('GET', `/api/operations?${query}`)).status, query).toBe(400)
      }
    })
  })
}
