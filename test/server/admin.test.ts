import { FORCED_FAIL_EX_DATA, PERMISSION_DENIED, PERMISSION_IMPORT_ERROR } from '@culm/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, exclusive, parallel, sequence } from './trees.js'

const ENGINE_TYPES = ['bamboo_engine', 'pipeline_engine'] as const
const SHAPES = {
  bamboo_engine: ['data', 'exc', 'exc_trace', 'message', 'result'],
  pipeline_engine: ['data', 'message', 'result'],
}
const START = {
  bamboo_engine: '/api/bamboo/run_pipeline',
  pipeline_engine: '/api/pipeline_engine/start_pipeline',
}

for (const database of DATABASES) {
  describe(`engine admin over HTTP on ${database}`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    async function states(
      rootId: string,
    ): Promise<Record<string, { state: string; version: string }>> {
      const answer = await t.post('/api/bamboo/get_pipeline_states', { root_id: rootId })
      const root = answer.body.data[rootId]
      return { [rootId]: root, ...root.children }
    }

    for (const engineType of ENGINE_TYPES) {
      const admin = (action: string, id: string, body?: unknown) =>
        t.post(`/engine-admin/api/v1/${engineType}/${action}/${id}`, body)
      async function start(tree: { id: string }): Promise<string> {
        const answer = await t.post(START[engineType], { pipeline: tree })
        expect(answer.body.result).toBe(true)
        await t.settle()
        return tree.id
      }
      function expectShape(answer: { body: object }) {
        expect(Object.keys(answer.body).sort()).toEqual(SHAPES[engineType])
      }

      describe(engineType, () => {
        it('task_pause, task_resume and task_revoke a task', async () => {
          const id = await start(sequence(act('callback_node')))
          const paused = await admin('task_pause', id)
          expect(paused.status).toBe(200)
          expectShape(paused)
          expect(paused.body).toMatchObject({ result: true, message: 'success', data: null })
          expect((await states(id))[id]!.state).toBe('SUSPENDED')
          const resumed = await t.request(
            'POST',
            `/engine-admin/api/v1/${engineType}/task_resume/${id}`,
            {
              headers: { 'content-type': 'application/json' },
            },
          )
          expect(resumed.status).toBe(200)
          expect((await states(id))[id]!.state).toBe('RUNNING')
          expect((await admin('task_revoke', id)).status).toBe(200)
          expect((await states(id))[id]!.state).toBe('REVOKED')
          const again = await admin('task_revoke', id)
          expect(again.status).toBe(409)
          expectShape(again)
          expect(again.body.result).toBe(false)
        })

        it('node_retry with new inputs, after checking the node data exists', async () => {
          const failing = act('fail_ctrl_node', { bit: 0 })
          const id = await start(sequence(failing))
          expect((await states(id))[failing.id]!.state).toBe('FAILED')
          const missing = await admin('node_retry', 'enothere', { inputs: { bit: 1 } })
          expect(missing.status).toBe(404)
          expectShape(missing)
          const retried = await admin('node_retry', failing.id, { inputs: { bit: 1 } })
          expect(retried.status).toBe(200)
          await t.settle()
          expect((await states(id))[id]!.state).toBe('FINISHED')
        })

        it('node_skip a failed node', async () => {
          const failing = act('fail_ctrl_node', { bit: 0 })
          const id = await start(sequence(failing))
          expect((await admin('node_skip', failing.id)).status).toBe(200)
          await t.settle()
          expect((await states(id))[id]!.state).toBe('FINISHED')
        })

        it('node_callback at the current version when none is given, and refuses another version', async () => {
          const waiting = act('callback_node')
          const id = await start(sequence(waiting))
          const stale = await admin('node_callback', waiting.id, { data: {}, version: 'vstale' })
          expect(stale.status).toBeGreaterThanOrEqual(400)
          expect(stale.status).toBeLessThan(500)
          expectShape(stale)
          const called = await admin('node_callback', waiting.id, { data: { bit: 1 } })
          expect(called.status).toBe(200)
          await t.settle()
          expect((await states(id))[id]!.state).toBe('FINISHED')
        })

        it('node_skip_exg along the given flow', async () => {
          const { tree, gateway, branches } = exclusive(5, ['${value} > 10', '${value} > 20'])
          const id = await start(tree)
          const flows = tree.gateways[gateway.id]!.outgoing as string[]
          const answer = await admin('node_skip_exg', gateway.id, { flow_id: flows[0] })
          expect(answer.status).toBe(200)
          await t.settle()
          const after = await states(id)
          expect(after[id]!.state).toBe('FINISHED')
          expect(after[branches[0]!.id]!.state).toBe('FINISHED')
        })

        it('node_skip_cpg along the given flows to the converge gateway', async () => {
          const a = act('debug_node')
          const b = act('debug_node')
          const { tree, gateway, converge } = parallel([a, b], 'cpg', ['1 == 2', '1 == 3'])
          const id = await start(tree)
          const flows = tree.gateways[gateway.id]!.outgoing as string[]
          const answer = await admin('node_skip_cpg', gateway.id, {
            flow_ids: flows,
            converge_gateway_id: converge.id,
          })
          expect(answer.status).toBe(200)
          await t.settle()
          const after = await states(id)
          expect(after[id]!.state).toBe('FINISHED')
          expect(after[a.id]!.state).toBe('FINISHED')
          expect(after[b.id]!.state).toBe('FINISHED')
        })

        it('node_forced_fail records the engine admin ex_data', async () => {
          const waiting = act('callback_node')
          const id = await start(sequence(waiting))
          const answer = await admin('node_forced_fail', waiting.id)
          expect(answer.status).toBe(200)
          expect((await states(id))[waiting.id]!.state).toBe('FAILED')
          const outputs = await t.post('/api/bamboo/get_execution_data_outputs', {
            node_id: waiting.id,
          })
          expect(outputs.body.data.ex_data).toBe(FORCED_FAIL_EX_DATA)
        })

        it('serves the read views of a task and its nodes', async () => {
          const failing = act('fail_ctrl_node', { bit: 0 })
          const id = await start(sequence(failing))
          await admin('node_retry', failing.id, { inputs: { bit: 0 } })
          await t.settle()
          const view = (name: string, target: string) =>
            t.request('GET', `/engine-admin/api/v1/${engineType}/${name}/${target}`)
          const tree = await view('state_tree', id)
          expect(tree.status).toBe(200)
          expectShape(tree)
          const root = engineType === 'bamboo_engine' ? tree.body.data[id] : tree.body.data
          expect(root.children[failing.id].state).toBe('FAILED')
          const data = await view('node_data', failing.id)
          expect(data.body.data.inputs.bit).toBe(0)
          const histories = await view('node_histories', failing.id)
          expect(histories.body.data).toHaveLength(1)
        })

        it('refuses to act on a task started with the other engine type', async () => {
          const other = engineType === 'bamboo_engine' ? 'pipeline_engine' : 'bamboo_engine'
          const tree = sequence(act('callback_node'))
          expect((await t.post(START[other], { pipeline: tree })).body.result).toBe(true)
          const answer = await admin('task_pause', tree.id)
          expect(answer.status).toBe(409)
          expect(answer.body.message).toMatch(new RegExp(`started with ${other}`))
          expect((await states(tree.id))[tree.id]!.state).toBe('RUNNING')
        })
      })
    }

    it('answers 404 for an unknown engine type or action and 405 for other methods', async () => {
      const unknownType = await t.post('/engine-admin/api/v1/airflow/task_pause/p1')
      expect(unknownType.status).toBe(404)
      expect(unknownType.body.message).toBe('engine type airflow not found')
      const unknownAction = await t.post('/engine-admin/api/v1/bamboo_engine/task_explode/p1')
      expect(unknownAction.status).toBe(404)
      expect(unknownAction.body.message).toBe('action not found')
      const get = await t.request('GET', '/engine-admin/api/v1/bamboo_engine/task_pause/p1')
      expect(get.status).toBe(405)
      const put = await t.request('PUT', '/engine-admin/api/v1/pipeline_engine/node_skip/e1')
      expect(put.status).toBe(405)
      const postView = await t.post('/engine-admin/api/v1/bamboo_engine/state_tree/p1')
      expect(postView.status).toBe(405)
    })

    it('lets only admins call it by default', async () => {
      const user = await t.post('/api/users', { name: `plain-${database}` })
      const tree = sequence(act('callback_node'))
      await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      const denied = await t.post(
        `/engine-admin/api/v1/bamboo_engine/task_pause/${tree.id}`,
        {},
        user.body.token,
      )
      expect(denied.status).toBe(403)
      expect(denied.body.message).toBe(PERMISSION_DENIED)
      expect((await states(tree.id))[tree.id]!.state).toBe('RUNNING')
    })
  })

  describe(`engine admin permission hook on ${database}`, () => {
    let t: TestServer
    let broken: TestServer
    beforeAll(async () => {
      t = await startTestServer(database, {
        adminPermission: ({ user, action }) => user.name === 'operator' && action !== 'task_revoke',
      })
      broken = await startTestServer(database, { adminPermission: './no/such/module.js#check' })
    })
    afterAll(async () => {
      await t?.close()
      await broken?.close()
    })

    it('allows whom the function allows and denies the others, admins included', async () => {
      const operator = (await t.post('/api/users', { name: 'operator' })).body.token
      const tree = sequence(act('callback_node'))
      await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      await t.settle()
      const byAdmin = await t.post(`/engine-admin/api/v1/bamboo_engine/task_pause/${tree.id}`)
      expect(byAdmin.status).toBe(403)
      expect(byAdmin.body.message).toBe(PERMISSION_DENIED)
      const byOperator = await t.post(
        `/engine-admin/api/v1/bamboo_engine/task_pause/${tree.id}`,
        {},
        operator,
      )
      expect(byOperator.status).toBe(200)
      const revoke = await t.post(
        `/engine-admin/api/v1/bamboo_engine/task_revoke/${tree.id}`,
        {},
        operator,
      )
      expect(revoke.status).toBe(403)
    })

    it('denies with 403 when the permission function throws or does not answer in time', async () => {
      const throwing = await startTestServer(database, {
        adminPermission: () => {
          throw new TypeError('secret detail of the permission backend')
        },
      })
      const hanging = await startTestServer(database, {
        adminPermission: () => new Promise<boolean>(() => {}),
        adminPermissionTimeoutMs: 50,
      })
      try {
        const thrown = await throwing.post('/engine-admin/api/v1/bamboo_engine/task_pause/p1')
        expect(thrown.status).toBe(403)
        expect(thrown.body.message).toBe(PERMISSION_DENIED)
        expect(JSON.stringify(thrown.body)).not.toMatch(/secret detail/)
        const hung = await hanging.post('/engine-admin/api/v1/bamboo_engine/task_pause/p1')
        expect(hung.status).toBe(403)
        expect(hung.body.message).toBe(PERMISSION_DENIED)
      } finally {
        await throwing.close()
        await hanging.close()
      }
    })

    it('says the permission function cannot be imported when its module is missing', async () => {
      const answer = await broken.post('/engine-admin/api/v1/bamboo_engine/task_pause/p1')
      expect(answer.status).toBe(500)
      expect(answer.body.message).toBe(PERMISSION_IMPORT_ERROR)
    })
  })
}
