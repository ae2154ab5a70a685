import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import response from '../fixtures/seed-004-response.json' with { type: 'json' }
import { DATABASES } from './harness.js'
import { APP, startTaskServer, type TaskServer } from './tasks-kit.js'

const PLATFORM_ID = /^(node|line)[0-9a-f]{28}$/

/**
 * The differences between two trees, reading every platform id of `expected` as a placeholder
 * for one id of `actual` (the same one wherever it appears, and a different one each time).
 */
function shapeDiff(
  expected: unknown,
  actual: unknown,
  ids = new Map<string, string>(),
  path = '',
): string[] {
  const same = (a: string, b: string) => {
    if (!PLATFORM_ID.test(a)) return a === b
    if (!PLATFORM_ID.test(b) || a === b) return false
    const seen = ids.get(a)
    if (seen !== undefined) return seen === b
    if ([...ids.values()].includes(b)) return false
    ids.set(a, b)
    return true
  }
  if (typeof expected === 'string') {
    return typeof actual === 'string' && same(expected, actual)
      ? []
      : [`${path}: ${expected} -> ${String(actual)}`]
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: length`]
    return expected.flatMap((item, i) => shapeDiff(item, actual[i], ids, `${path}.${i}`))
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return [`${path}: not an object`]
    const given = actual as Record<string, unknown>
    const keys = Object.keys(expected)
    if (keys.length !== Object.keys(given).length) return [`${path}: keys`]
    return keys.flatMap((key) => {
      const match = Object.keys(given).find((k) => same(key, k))
      if (match === undefined) return [`${path}: no key for ${key}`]
      return shapeDiff(
        (expected as Record<string, unknown>)[key],
        given[match],
        ids,
        `${path}.${key}`,
      )
    })
  }
  return expected === actual ? [] : [`${path}: ${String(expected)} -> ${String(actual)}`]
}

// biome-ignore lint/suspicious/noExplicitAny: trees are read by field
type Tree = any

function nodeIdByName(tree: Tree, name: string): string {
  const found = Object.values(tree.activities as Record<string, { id: string; name: string }>).find(
    (a) => a.name === name,
  )
  expect(found, `activity ${name}`).toBeDefined()
  return found!.id
}

function namesIn(status: Tree): string[] {
  return Object.values(status.children as Record<string, { name: string; state: string }>)
    .filter((c) => c.name.startsWith('node'))
    .map((c) => `${c.name}:${c.state}`)
    .sort()
}

for (const database of DATABASES) {
  describe(`task API on ${database}`, () => {
    let t: TaskServer
    beforeAll(async () => {
      t = await startTaskServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    const seedBody = (extra: Record<string, unknown> = {}) => {
      const { bk_app_code: _c, bk_app_secret: _s, bk_token: _t, ...fields } = request
      return { ...fields, project_id: String(t.projectA.bk_biz_id), ...extra }
    }
    async function createSeed(extra: Record<string, unknown> = {}) {
      const answer = await t.gw('POST', '/apigw/fast_create_task/', seedBody(extra))
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      return {
        id: answer.body.data.task_id as number,
        tree: answer.body.data.pipeline_tree as Tree,
        path: `${answer.body.data.task_id}/${t.projectA.bk_biz_id}`,
      }
    }

    it("answers the seed's exact request in the seed's shape, with every id new", async () => {
      const answer = await t.request('POST', '/apigw/fast_create_task/', {
        token: null,
        body: {
          ...request,
          ...APP,
          bk_token: t.alice.token,
          project_id: String(t.projectA.bk_biz_id),
        },
      })
      expect(answer.status).toBe(200)
      expect(Object.keys(answer.body).sort()).toEqual(['data', 'message', 'result'])
      expect(answer.body.result).toBe(true)
      expect(answer.body.message).toBe('success')
      const data = answer.body.data
      expect(Object.keys(data).sort()).toEqual(Object.keys(response.data).sort())
      expect(typeof data.task_id).toBe('number')
      expect(data.task_url).toBe(
        `${t.url}/taskflow/execute/${t.projectA.id}/?instance_id=${data.task_id}`,
      )
      const ids = new Map<string, string>()
      expect(shapeDiff(response.data.pipeline_tree, data.pipeline_tree, ids)).toEqual([])
      // 4 activities, 4 gateways, the start and end events and 11 flows: 21 ids, all replaced.
      expect(ids.size).toBe(21)
      expect([...ids].every(([from, to]) => from !== to)).toBe(true)

      const again = await t.gw('POST', `/apigw/fast_create_task/${t.projectA.bk_biz_id}/`, {
        ...seedBody(),
        project_id: undefined,
      })
      expect(again.status).toBe(200)
      expect(again.body.data.task_id).toBe(data.task_id + 1)
      const newIds = new Map<string, string>()
      expect(shapeDiff(data.pipeline_tree, again.body.data.pipeline_tree, newIds)).toEqual([])

      const detail = await t.gw(
        'GET',
        `/apigw/get_task_detail/${data.task_id}/${t.projectA.bk_biz_id}/`,
      )
      expect(detail.status).toBe(200)
      expect(detail.body.data).toMatchObject({
        id: data.task_id,
        name: 'tasktest',
        category: 'Other',
        flow_type: 'common',
        engine_type: 'bamboo_engine',
        project_id: t.projectA.id,
        bk_biz_id: t.projectA.bk_biz_id,
        creator: 'alice',
        state: 'CREATED',
        is_started: false,
        is_finished: false,
        task_url: data.task_url,
      })
      expect(detail.body.data.pipeline_tree).toEqual(data.pipeline_tree)
      const byProject = await t.gw(
        'GET',
        `/apigw/get_task_detail/${data.task_id}/${t.projectA.id}/`,
        {
          scope: 'project',
        },
      )
      expect(byProject.body.data.id).toBe(data.task_id)
    })

    for (const [timing, ran, skipped] of [
      ['1', ['node1', 'node3', 'node4'], 'node2'],
      ['12', ['node1', 'node2'], 'node3'],
    ] as const) {
      it(`runs sleep_timer through the exclusive gateway with bk_timing ${timing}`, async () => {
        const task = await createSeed({ constants: { '${bk_timing}': timing } })
        expect(task.tree.constants['${bk_timing}'].value).toBe(timing)
        const before = await t.gw('GET', `/apigw/get_task_status/${task.path}/`)
        expect(before.body).toMatchObject({
          result: true,
          data: { state: 'CREATED', elapsed_time: 0, children: {} },
        })
        const started = await t.gw('POST', `/apigw/start_task/${task.path}/`)
        expect(started.status).toBe(200)
        expect(started.body).toEqual({ result: true, data: null, message: 'success' })
        expect(await t.runOut(task.path)).toBe('FINISHED')

        const status = (await t.gw('GET', `/apigw/get_task_status/${task.path}/`)).body.data
        expect(status.name).toBe('tasktest')
        expect(namesIn(status)).toEqual(ran.map((n) => `${n}:FINISHED`).sort())
        expect(Object.values(status.children).some((c: Tree) => c.name === skipped)).toBe(false)
        expect(status.start_time).toMatch(/Z$/)
        expect(status.finish_time).toMatch(/Z$/)
        const seconds = (Date.parse(status.finish_time) - Date.parse(status.start_time)) / 1000
        expect(status.elapsed_time).toBe(Math.round(seconds))
        // node1 and the branch after it each polled until their bk_timing had passed.
        expect(status.elapsed_time).toBeGreaterThanOrEqual((Number(timing) - 1) * 2)

        const detail = (await t.gw('GET', `/apigw/get_task_detail/${task.path}/`)).body.data
        expect(detail).toMatchObject({ state: 'FINISHED', is_started: true, is_finished: true })
        expect(detail.outputs).toEqual({ '${bk_timing}': timing })
        expect(detail.constants['${bk_timing}'].value).toBe(timing)

        const node = nodeIdByName(task.tree, ran[1])
        const nodeDetail = await t.gw('GET', `/apigw/get_task_node_detail/${task.path}/`, {
          node_id: node,
        })
        expect(nodeDetail.status).toBe(200)
        expect(nodeDetail.body.data).toMatchObject({
          id: node,
          name: ran[1],
          component_code: 'sleep_timer',
          state: 'FINISHED',
        })
        expect(Number(nodeDetail.body.data.outputs.bk_timing)).toBe(
          ran[1] === 'node3' ? 3 : Number(timing),
        )
        const notRun = await t.gw('GET', `/apigw/get_task_node_detail/${task.path}/`, {
          node_id: nodeIdByName(task.tree, skipped),
        })
        expect(notRun.body.data).toMatchObject({ state: 'READY', histories: [] })
      })
    }

    it('refuses constants that do not fit the tree or their custom_type, creating nothing', async () => {
      const tasks = async () =>
        (await t.gw('GET', `/apigw/get_tasks/${t.projectA.bk_biz_id}/`)).body.count
      const count = await tasks()
      const withConstants = (constants: Record<string, unknown>) => {
        const body = seedBody({ constants }) as Tree
        body.pipeline_tree = structuredClone(body.pipeline_tree)
        body.pipeline_tree.constants['${count}'] = {
          key: '${count}',
          name: 'count',
          index: 1,
          desc: '',
          source_type: 'custom',
          custom_type: 'int',
          value: '1',
          source_tag: '',
          source_info: {},
          show_type: 'show',
        }
        return t.gw('POST', '/apigw/fast_create_task/', body)
      }
      for (const [constants, field] of [
        [{ '${nothing}': 1 }, 'constants.${nothing}'],
        [{ count: 'many' }, 'constants.count'],
        [{ '${count}': 1.5 }, 'constants.${count}'],
        [{ '${bk_timing}': { deep: true } }, 'constants.${bk_timing}'],
      ] as const) {
        const answer = await withConstants(constants)
        expect(answer.status).toBe(400)
        expect(answer.body.result).toBe(false)
        expect(answer.body.issues.map((i: { field: string }) => i.field)).toContain(field)
      }
      expect((await withConstants({ count: '42' })).status).toBe(200)
      expect(await tasks()).toBe(count + 1)
    })

    it('pauses, resumes and revokes a task, refusing each in a wrong state', async () => {
      const task = await createSeed({ constants: { '${bk_timing}': '5' } })
      const operate = (action: string) =>
        t.gw('POST', `/apigw/operate_task/${task.path}/`, { action })
      for (const action of ['pause', 'resume', 'revoke']) {
        const refused = await operate(action)
        expect(refused.status).toBe(409)
        expect(refused.body).toMatchObject({
          result: false,
          message: expect.stringContaining('not started'),
        })
      }
      expect((await operate('start')).status).toBe(200)
      await t.settle()
      expect((await operate('start')).status).toBe(409)
      expect((await t.gw('POST', `/apigw/start_task/${task.path}/`)).status).toBe(409)
      expect((await operate('resume')).status).toBe(409)
      expect((await operate('pause')).status).toBe(200)
      const status = async () =>
        (await t.gw('GET', `/apigw/get_task_status/${task.path}/`)).body.data.state
      expect(await status()).toBe('SUSPENDED')
      expect((await operate('pause')).status).toBe(409)
      expect((await operate('resume')).status).toBe(200)
      expect(await status()).toBe('RUNNING')
      expect((await operate('revoke')).status).toBe(200)
      await t.settle()
      expect(await status()).toBe('REVOKED')
      for (const action of ['pause', 'resume', 'revoke', 'start']) {
        expect((await operate(action)).status).toBe(409)
      }
      expect((await operate('explode')).status).toBe(400)

      const log = await t.gw('GET', `/apigw/get_operation_log/${t.projectA.bk_biz_id}/`, {
        task_id: task.id,
      })
      expect(log.status).toBe(200)
      expect(log.body.data.map((o: Tree) => o.operation)).toEqual([
        'create',
        'start',
        'pause',
        'resume',
        'revoke',
      ])
      expect(log.body.count).toBe(5)
      expect(log.body.data[1]).toMatchObject({
        task_id: task.id,
        operator: 'alice',
        app_code: APP.bk_app_code,
        operate_time: expect.stringMatching(/Z$/),
      })

      const viaConsole = await t.request(
        'GET',
        `/api/projects/${t.projectA.id}/operations?task_id=${task.id}`,
        { token: t.alice.token },
      )
      expect(viaConsole.status).toBe(200)
      expect(viaConsole.body.count).toBe(5)
      expect(viaConsole.body.data).toEqual(log.body.data)
      const revoked = await t.request('GET', `/api/projects/${t.projectA.id}/tasks?state=REVOKED`, {
        token: t.alice.token,
      })
      expect(revoked.body.data.map((x: Tree) => x.id)).toEqual([task.id])
      for (const path of ['operations', 'tasks']) {
        const denied = await t.request('GET', `/api/projects/${t.projectA.id}/${path}`, {
          token: t.bob.token,
        })
        expect(denied.status).toBe(403)
      }
    })

    it('lists tasks by category, creator, state and name, a page at a time', async () => {
      const biz = t.projectB.bk_biz_id
      const asBob = { ...APP, bk_token: t.bob.token }
      for (const [name, category] of [
        ['deploy web', 'OpsTools'],
        ['deploy db', 'OpsTools'],
        ['alarm check', 'MonitorAlarm'],
      ]) {
        const body = { ...seedBody({ project_id: String(biz), name, category }) }
        expect((await t.gw('POST', '/apigw/fast_create_task/', body, asBob)).status).toBe(200)
      }
      const list = (query: Record<string, unknown>) =>
        t.gw('GET', `/apigw/get_tasks/${biz}/`, query, asBob)
      const all = await list({})
      expect(all.body.count).toBe(3)
      expect(all.body.data.map((x: Tree) => x.name)).toEqual([
        'alarm check',
        'deploy db',
        'deploy web',
      ])
      expect((await list({ category: 'OpsTools' })).body.count).toBe(2)
      expect((await list({ name: 'DEPLOY' })).body.count).toBe(2)
      expect((await list({ name: 'y w' })).body.data.map((x: Tree) => x.name)).toEqual([
        'deploy web',
      ])
      expect((await list({ name: '%' })).body.count).toBe(0)
      expect((await list({ creator: 'bob' })).body.count).toBe(3)
      expect((await list({ creator: 'alice' })).body.count).toBe(0)
      const page = await list({ offset: 1, limit: 1 })
      expect(page.body).toMatchObject({ count: 3, data: [{ name: 'deploy db' }] })
      const first = all.body.data[0]
      await t.gw('POST', `/apigw/start_task/${first.id}/${biz}/`, {}, asBob)
      await t.settle()
      expect((await list({ state: 'RUNNING' })).body.data.map((x: Tree) => x.id)).toEqual([
        first.id,
      ])
      expect((await list({ state: 'CREATED' })).body.count).toBe(2)
      expect((await list({ category: 'Nonsense' })).status).toBe(400)
      await t.gw('POST', `/apigw/operate_task/${first.id}/${biz}/`, { action: 'revoke' }, asBob)
      await t.settle()
    })

    it('keeps a member of one project away from the tasks of another', async () => {
      const task = await createSeed()
      const asBob = { ...APP, bk_token: t.bob.token }
      const byA = `/apigw/get_task_status/${task.id}/${t.projectA.bk_biz_id}/`
      const viaB = `/apigw/get_task_status/${task.id}/${t.projectB.bk_biz_id}/`
      const refused = await t.gw('GET', byA, {}, asBob)
      expect(refused.status).toBe(403)
      expect(refused.body).toMatchObject({ result: false, message: expect.stringContaining('bob') })
      expect((await t.gw('GET', viaB, {}, asBob)).status).toBe(404)
      for (const [path, params] of [
        [`/apigw/start_task/${task.path}/`, {}],
        [`/apigw/operate_task/${task.path}/`, { action: 'revoke' }],
        [
          `/apigw/operate_node/${task.path}/`,
          { node_id: nodeIdByName(task.tree, 'node1'), action: 'skip' },
        ],
        ['/apigw/fast_create_task/', seedBody()],
      ] as const) {
        expect((await t.gw('POST', path, params, asBob)).status).toBe(403)
      }
      expect((await t.gw('GET', `/apigw/get_task_detail/${task.path}/`, {}, asBob)).status).toBe(
        403,
      )
      expect(
        (await t.gw('GET', `/apigw/get_tasks/${t.projectA.bk_biz_id}/`, {}, asBob)).status,
      ).toBe(403)
      expect((await t.gw('GET', byA)).body.data.state).toBe('CREATED')
      const admin = await t.gw('GET', byA, {}, { ...APP, bk_token: t.token })
      expect(admin.status).toBe(200)
      expect(
        (await t.gw('GET', `/apigw/get_task_status/999999/${t.projectA.bk_biz_id}/`)).status,
      ).toBe(404)
      expect((await t.gw('GET', '/apigw/get_task_status/1/424242/')).status).toBe(404)
    })

    it('lets admins alone manage apps, projects and members, and a removed member lose access', async () => {
      expect(
        (await t.post('/api/projects', { name: 'C', bk_biz_id: 99 }, t.alice.token)).status,
      ).toBe(403)
      expect((await t.post('/api/apps', { code: 'mine' }, t.alice.token)).status).toBe(403)
      expect((await t.request('GET', '/api/apps', { token: t.alice.token })).status).toBe(403)
      expect(
        (await t.post('/api/projects', { name: 'again', bk_biz_id: t.projectA.bk_biz_id })).status,
      ).toBe(409)
      expect((await t.post('/api/apps', { code: APP.bk_app_code })).status).toBe(409)
      const mine = await t.request('GET', '/api/projects', { token: t.alice.token })
      expect(mine.body.map((p: Tree) => p.id)).toEqual([t.projectA.id])
      expect((await t.request('GET', '/api/projects', {})).body).toHaveLength(2)
      expect(
        (await t.request('GET', `/api/projects/${t.projectB.id}`, { token: t.alice.token })).status,
      ).toBe(403)
      const apps = await t.request('GET', '/api/apps')
      expect(apps.body.map((a: Tree) => [a.code, a.whitelisted])).toEqual([
        ['esb_test', false],
        ['esb_trusted', true],
      ])
      const carol = (await t.post('/api/users', { name: 'carol' }, undefined)).body
      const joined = await t.post(`/api/projects/${t.projectA.id}/members`, { username: 'carol' })
      expect(joined.body.members.map((m: Tree) => m.name)).toEqual(['alice', 'carol'])
      const asCarol = { ...APP, bk_token: carol.token as string }
      const path = `/apigw/get_tasks/${t.projectA.bk_biz_id}/`
      expect((await t.gw('GET', path, {}, asCarol)).status).toBe(200)
      const left = await t.request(
        'DELETE',
        `/api/projects/${t.projectA.id}/members/${carol.user.id}`,
      )
      expect(left.body.members.map((m: Tree) => m.name)).toEqual(['alice'])
      expect((await t.gw('GET', path, {}, asCarol)).status).toBe(403)
      expect(
        (await t.request('DELETE', `/api/projects/${t.projectA.id}/members/${carol.user.id}`))
          .status,
      ).toBe(404)
      expect(
        (await t.post(`/api/projects/${t.projectA.id}/members`, { username: 'nobody' })).status,
      ).toBe(404)
      const log = await t.request('GET', `/api/projects/${t.projectA.id}/operations?limit=200`, {
        token: t.alice.token,
      })
      const changes = log.body.data
        .filter((o: Tree) => o.task_id === null)
        .map((o: Tree) => [
          o.operation,
          o.operator,
          o.app_code,
          o.detail.username ?? o.detail.user_id,
        ])
      expect(changes).toEqual([
        ['project_create', 'admin', '', undefined],
        ['member_add', 'admin', '', 'alice'],
        ['member_add', 'admin', '', 'carol'],
        ['member_remove', 'admin', '', carol.user.id],
      ])
    })

    it('answers 401 or 403 to wrong, missing or unlisted credentials', async () => {
      const path = `/apigw/get_tasks/${t.projectA.bk_biz_id}/`
      const cases: Array<[Record<string, string> | null, number, string]> = [
        [null, 401, 'bk_app_code'],
        [{ bk_app_code: APP.bk_app_code, bk_token: t.alice.token }, 401, 'bk_app_secret'],
        [{ ...APP, bk_app_secret: 'wrong-secret-000000' }, 401, 'wrong'],
        [{ ...APP, bk_app_code: 'no_such_app' }, 401, 'wrong'],
        [{ ...APP }, 401, 'bk_token or bk_username'],
        [{ ...APP, bk_token: 'culm_unknown' }, 401, 'bk_token'],
        [{ ...APP, bk_username: 'alice' }, 403, 'whitelist'],
        [
          {
            bk_app_code: 'esb_trusted',
            bk_app_secret: 'esb-trusted-secret-01',
            bk_username: 'ghost',
          },
          401,
          'ghost',
        ],
      ]
      for (const [credentials, status, text] of cases) {
        for (const method of ['GET', 'POST'] as const) {
          const target = method === 'GET' ? path : '/apigw/fast_create_task/'
          const answer = await t.gw(method, target, method === 'GET' ? {} : seedBody(), credentials)
          expect(answer.status, `${method} ${JSON.stringify(credentials)}`).toBe(status)
          expect(answer.body.result).toBe(false)
          expect(answer.body.message).toContain(text)
        }
      }
      const trusted = await t.gw(
        'GET',
        path,
        {},
        {
          bk_app_code: 'esb_trusted',
          bk_app_secret: 'esb-trusted-secret-01',
          bk_username: 'alice',
        },
      )
      expect(trusted.status).toBe(200)
      const header = await t.gw('GET', path, {}, null, {
        'X-Bkapi-Authorization': JSON.stringify({ ...APP, bk_token: t.alice.token }),
      })
      expect(header.status).toBe(200)
      const badHeader = await t.gw('GET', path, {}, null, { 'X-Bkapi-Authorization': '{nope' })
      expect(badHeader.status).toBe(401)
      // A bearer token alone is no app credential.
      const bearer = await t.request('GET', path)
      expect(bearer.status).toBe(401)
      const stored = await (t.store.db as Tree).selectFrom('culm_server_app').selectAll().execute()
      expect(stored.map((row: Tree) => row.secret_hash).join()).not.toContain(APP.bk_app_secret)
    })
  })
}
