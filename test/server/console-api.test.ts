import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withSubprocess } from '../conformance/trees.js'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import { type Answer, DATABASES } from './harness.js'
import { startTaskServer, type TaskServer } from './tasks-kit.js'
import { act, sequence } from './trees.js'

function ok(answer: Answer, status = 200): Answer {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  return answer
}

for (const database of DATABASES) {
  describe(`the console's run API on ${database}`, () => {
    let t: TaskServer
    const ids = { finished: '', waiting: '', failed: '', task: '', taskId: 0 }
    const waitingNode = act('callback_node')
    const failingNode = act('fail_ctrl_node', { bit: 0 })

    beforeAll(async () => {
      t = await startTaskServer(database)
      // Given alice's finished bamboo run, the admin's waiting pipeline_engine run, bob's failed
      // run, and a task of project A (alice's) started through the task API.
      const finished = sequence(act('debug_node'))
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: finished }, t.alice.token))
      ids.finished = finished.id
      await t.advance(1000)
      const waiting = sequence(waitingNode)
      ok(await t.post('/api/pipeline_engine/start_pipeline', { pipeline: waiting }))
      ids.waiting = waiting.id
      await t.advance(1000)
      const failed = sequence(failingNode)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: failed }, t.bob.token))
      ids.failed = failed.id
      await t.advance(1000)
      const { bk_app_code: _c, bk_app_secret: _s, bk_token: _t, ...fields } = request
      const created = ok(
        await t.gw('POST', '/apigw/fast_create_task/', {
          ...fields,
          project_id: String(t.projectA.bk_biz_id),
        }),
      ).body.data
      ids.taskId = created.task_id
      ok(await t.gw('POST', `/apigw/start_task/${created.task_id}/${t.projectA.bk_biz_id}/`))
      await t.settle()
      const task = await t.request('GET', `/api/runs?project_id=${t.projectA.id}`)
      ids.task = ok(task).body.data[0].id
    })
    afterAll(async () => {
      await t?.close()
    })

    it('lists every run to an admin, newest first, with its engine type, task and project', async () => {
      const all = ok(await t.request('GET', '/api/runs')).body
      expect(all.total).toBe(4)
      expect(all.data.map((r: { id: string }) => r.id)).toEqual([
        ids.task,
        ids.failed,
        ids.waiting,
        ids.finished,
      ])
      const [task, failed, waiting, finished] = all.data
      expect(task).toMatchObject({
        engine_type: 'bamboo_engine',
        state: 'RUNNING',
        name: 'tasktest',
        project_id: t.projectA.id,
        project_name: 'project A',
        task_id: ids.taskId,
        task_name: 'tasktest',
        creator: 'alice',
        archived_time: null,
      })
      // A failed node leaves its bamboo pipeline RUNNING.
      expect(failed).toMatchObject({ state: 'RUNNING', creator: 'bob', task_id: null })
      expect(waiting).toMatchObject({ engine_type: 'pipeline_engine', state: 'RUNNING' })
      expect(finished).toMatchObject({ state: 'FINISHED', name: ids.finished, creator: 'alice' })
      expect(typeof finished.started_time).toBe('number')
      expect(typeof finished.archived_time).toBe('number')
    })

    it('filters runs by state, engine type, project, task name, start time and id', async () => {
      const list = async (query: string) =>
        ok(await t.request('GET', `/api/runs?${query}`)).body.data.map((r: { id: string }) => r.id)
      expect(await list('state=RUNNING')).toEqual([ids.task, ids.failed, ids.waiting])
      expect(await list('state=FINISHED')).toEqual([ids.finished])
      expect(await list('engine_type=pipeline_engine')).toEqual([ids.waiting])
      expect(await list('engine_type=bamboo_engine')).toEqual([ids.task, ids.failed, ids.finished])
      expect(await list(`project_id=${t.projectB.id}`)).toEqual([])
      expect(await list('task_name=skt')).toEqual([ids.task])
      expect(await list('task_name=%25')).toEqual([])
      expect(await list(`q=${ids.failed}`)).toEqual([ids.failed])
      expect(await list('q=project%20A')).toEqual([ids.task])
      const finished = ok(await t.request('GET', `/api/runs/${ids.finished}`)).body
      const waiting = ok(await t.request('GET', `/api/runs/${ids.waiting}`)).body
      expect(
        await list(`started_after=${waiting.started_time}&sort=started_time&order=asc`),
      ).toEqual([ids.waiting, ids.failed, ids.task])
      expect(await list(`started_before=${finished.started_time}`)).toEqual([ids.finished])
    })

    it('sorts and pages runs, the total counting every match', async () => {
      const page = ok(
        await t.request('GET', '/api/runs?sort=state&order=asc&per_page=2&page=2'),
      ).body
      expect(page.total).toBe(4)
      expect(page.data.map((r: { state: string }) => r.state)).toEqual(['RUNNING', 'RUNNING'])
      const first = ok(await t.request('GET', '/api/runs?sort=state&order=asc&per_page=2')).body
      expect(first.data.map((r: { state: string }) => r.state)).toEqual(['FINISHED', 'RUNNING'])
      const beyond = ok(await t.request('GET', '/api/runs?per_page=2&page=3')).body
      expect(beyond).toEqual({ data: [], total: 4 })
    })

    it('shows a user only the runs they may read, and refuses the others', async () => {
      const alice = ok(await t.request('GET', '/api/runs', { token: t.alice.token })).body
      expect(alice.data.map((r: { id: string }) => r.id).sort()).toEqual(
        [ids.task, ids.finished].sort(),
      )
      expect(alice.total).toBe(2)
      const bob = ok(await t.request('GET', '/api/runs', { token: t.bob.token })).body
      expect(bob.data.map((r: { id: string }) => r.id)).toEqual([ids.failed])
      for (const path of ['', '/graph', '/nodes', `/nodes/${failingNode.id}`, '/events']) {
        const refused = await t.request('GET', `/api/runs/${ids.task}${path}`, {
          token: t.bob.token,
        })
        expect(refused.status, path).toBe(403)
        expect(JSON.stringify(refused.body)).not.toContain('tasktest')
      }
      expect(
        (await t.request('GET', `/api/runs/${ids.failed}`, { token: t.alice.token })).status,
      ).toBe(403)
      expect((await t.request('GET', '/api/runs', { token: null })).status).toBe(401)
    })

    it('answers a run graph: the engine tree and the state of every node', async () => {
      const graph = ok(await t.request('GET', `/api/runs/${ids.waiting}/graph`)).body
      expect(graph.run.id).toBe(ids.waiting)
      expect(Object.keys(graph.tree.activities)).toEqual([waitingNode.id])
      expect(graph.states[waitingNode.id]).toMatchObject({
        node_id: waitingNode.id,
        parent_id: ids.waiting,
        state: 'RUNNING',
        loop: 1,
        retry: 0,
        skip: false,
      })
      expect(graph.states[ids.waiting].state).toBe('RUNNING')
      const seed = ok(await t.request('GET', `/api/runs/${ids.task}/graph`)).body
      const subprocesses = Object.values(seed.tree.activities).filter(
        (a) => (a as { type: string }).type === 'SubProcess',
      ) as Array<{ id: string; pipeline: { activities: Record<string, unknown> } }>
      for (const sub of subprocesses) {
        expect(sub.pipeline.activities).toBeTypeOf('object')
      }
    })

    it("shows a subprocess's tree nested in the graph and its inner nodes' states and data", async () => {
      const { tree, sub, inner } = withSubprocess('hello')
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      const graph = ok(await t.request('GET', `/api/runs/${tree.id}/graph`)).body
      expect(graph.tree.activities[sub.id].pipeline.activities).toHaveProperty(inner.id)
      expect(graph.states[sub.id]).toMatchObject({ state: 'FINISHED', parent_id: tree.id })
      expect(graph.states[inner.id]).toMatchObject({ state: 'FINISHED', parent_id: sub.id })
      const detail = ok(await t.request('GET', `/api/runs/${tree.id}/nodes/${inner.id}`)).body
      expect(detail).toMatchObject({
        type: 'ServiceActivity',
        component: { code: 'debug_node' },
        inputs: { echo: 'hello' },
      })
      const subprocess = ok(await t.request('GET', `/api/runs/${tree.id}/nodes/${sub.id}`)).body
      expect(subprocess).toMatchObject({ type: 'SubProcess', component: null })
      // The subprocess is not a run of its own.
      expect((await t.request('GET', `/api/runs/${sub.id}`)).status).toBe(404)
      const listed = ok(await t.request('GET', '/api/runs?per_page=200')).body
      expect(listed.data.map((r: { id: string }) => r.id)).not.toContain(sub.id)
    })

    it("lists a run's nodes by state and shows one node in full", async () => {
      const nodes = ok(await t.request('GET', `/api/runs/${ids.failed}/nodes?state=FAILED`)).body
      expect(nodes.data.map((n: { id: string }) => n.id)).toEqual([failingNode.id])
      expect(nodes.total).toBe(1)
      const all = ok(await t.request('GET', `/api/runs/${ids.failed}/nodes?per_page=2`)).body
      expect(all.total).toBe(3)
      expect(all.data).toHaveLength(2)
      const failed = ok(
        await t.request('GET', `/api/runs/${ids.failed}/nodes/${failingNode.id}`),
      ).body
      expect(failed).toMatchObject({
        id: failingNode.id,
        state: 'FAILED',
        type: 'ServiceActivity',
        component: { code: 'fail_ctrl_node' },
        inputs: { bit: 0 },
        schedule: null,
        callbacks: [],
        histories: [],
      })
      // fail_ctrl_node fails without a reason, so its ex_data is null.
      expect(failed.ex_data).toBeNull()
      const waiting = ok(
        await t.request('GET', `/api/runs/${ids.waiting}/nodes/${waitingNode.id}`),
      ).body
      expect(waiting.schedule).toMatchObject({ type: 'callback', finished: false, due_at: null })
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/node_retry/${failingNode.id}`, {}))
      await t.settle()
      const retried = ok(
        await t.request('GET', `/api/runs/${ids.failed}/nodes/${failingNode.id}`),
      ).body
      expect(retried.retry).toBe(1)
      expect(retried.histories).toHaveLength(1)
      expect(retried.histories[0]).toMatchObject({ loop: 1, retry: 0, inputs: { bit: 0 } })
      expect(
        (await t.request('GET', `/api/runs/${ids.waiting}/nodes/${failingNode.id}`)).status,
      ).toBe(404)
      expect((await t.request('GET', '/api/runs/pnothere')).status).toBe(404)
    })

    it('refuses malformed run queries with a 400 naming the parameter', async () => {
      for (const query of [
        'per_page=0',
        'per_page=201',
        'page=0',
        'page=abc',
        'sort=name',
        'order=up',
        'state=running',
        'engine_type=x',
        'project_id=-1',
        'project_id=0x1',
        'started_after=yesterday',
        `q=${'x'.repeat(200)}`,
      ]) {
        const answer = await t.request('GET', `/api/runs?${query}`)
        expect(answer.status, query).toBe(400)
        expect(answer.body.message).toContain(query.split('=')[0])
      }
      expect((await t.request('GET', `/api/runs/${ids.failed}/nodes?sort=x`)).status).toBe(400)
      expect((await t.request('GET', `/api/runs/${'x'.repeat(200)}`)).status).toBe(400)
    })
  })
}
