import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, exclusive, failingSubprocessTree, parallel, seedTree, sequence } from './trees.js'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

for (const database of DATABASES) {
  describe(`the bamboo API over HTTP on ${database}`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    const call = (fn: string, body: unknown) => t.post(`/api/bamboo/${fn}`, body)
    async function run(tree: unknown, extra: Record<string, unknown> = {}): Promise<string> {
      const answer = await call('run_pipeline', { pipeline: tree, ...extra })
      expect(answer.body).toMatchObject({ result: true, message: 'success' })
      await t.settle()
      return answer.body.data.pipeline_id
    }
    async function states(rootId: string): Promise<Record<string, string>> {
      const answer = await call('get_pipeline_states', { root_id: rootId })
      const root = answer.body.data[rootId]
      const out: Record<string, string> = { [rootId]: root.state }
      for (const [id, child] of Object.entries(root.children))
        out[id] = (child as { state: string }).state
      return out
    }
    async function version(rootId: string, nodeId: string): Promise<string> {
      const answer = await call('get_pipeline_states', { root_id: rootId })
      return answer.body.data[rootId].children[nodeId].version
    }

    it('runs the seed 004 tree through run_pipeline to FINISHED', async () => {
      const tree = seedTree()
      const answer = await call('run_pipeline', {
        pipeline: tree,
        root_pipeline_data: { executor: 'admin' },
      })
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({
        result: true,
        message: 'success',
        data: { pipeline_id: tree.id },
        exc: null,
      })
      await t.settle()
      for (
        let second = 0;
        second < 10 && (await states(tree.id!))[tree.id!] === 'RUNNING';
        second++
      ) {
        await t.advance(1000)
      }
      const tree_ = await call('get_pipeline_states', { root_id: tree.id })
      const root = tree_.body.data[tree.id!]
      expect(root.state).toBe('FINISHED')
      expect(root['root_id:']).toBe(tree.id)
      expect(root.started_time).toMatch(ISO)
      expect(root.archived_time).toMatch(ISO)
      const children = Object.values(root.children) as Array<{ state: string }>
      expect(children).toHaveLength(9)
      expect(children.every((c) => c.state === 'FINISHED')).toBe(true)
      const outputs = await call('get_execution_data_outputs', { node_id: tree.id })
      expect(outputs.body.data).toEqual({ '${bk_timing}': '1' })
    })

    it('answers every problem of an invalid tree with 400 and changes nothing', async () => {
      const tree = sequence(act('no_such_component'), act('nor_this_one'))
      const answer = await call('run_pipeline', { pipeline: tree })
      expect(answer.status).toBe(400)
      expect(answer.body.result).toBe(false)
      expect(answer.body.problems.map((p: { code: string }) => p.code)).toEqual([
        'UNKNOWN_COMPONENT',
        'UNKNOWN_COMPONENT',
      ])
      expect(answer.body.message).toMatch(/no_such_component.*nor_this_one/)
      expect((await call('get_pipeline_states', { root_id: tree.id })).body.data).toEqual({})
    })

    it('refuses a tree started twice with 409', async () => {
      const tree = sequence(act('debug_node'))
      await run(tree)
      const again = await call('run_pipeline', { pipeline: tree })
      expect(again.status).toBe(409)
      expect(again.body.message).toMatch(/already exists/)
    })

    it('pauses, resumes and revokes a pipeline, refusing each in the wrong state', async () => {
      const waiting = act('callback_node')
      const tree = sequence(waiting)
      const id = await run(tree)
      expect((await call('pause_pipeline', { pipeline_id: id })).status).toBe(200)
      expect((await states(id))[id]).toBe('SUSPENDED')
      expect((await call('pause_pipeline', { pipeline_id: id })).status).toBe(409)
      expect((await call('resume_pipeline', { pipeline_id: id })).body.result).toBe(true)
      const resumed = await call('resume_pipeline', { pipeline_id: id })
      expect(resumed.status).toBe(409)
      expect(resumed.body.message).toBe(`pipeline(${id}) state is: RUNNING`)
      expect((await call('revoke_pipeline', { pipeline_id: id })).status).toBe(200)
      expect((await states(id))[id]).toBe('REVOKED')
      expect((await call('revoke_pipeline', { pipeline_id: id })).status).toBe(409)
      const missing = await call('pause_pipeline', { pipeline_id: 'pmissing' })
      expect(missing.status).toBe(404)
      expect(missing.body).toMatchObject({ result: false, data: null })
      expect(missing.body.exc).toMatch(/^NotFoundError: /)
    })

    it('stops at an appointed pause and goes on when it is lifted', async () => {
      const waiting = act('callback_node')
      const later = act('debug_node')
      const tree = sequence(waiting, later)
      const id = await run(tree)
      expect((await call('pause_node_appoint', { node_id: later.id })).status).toBe(200)
      const called = await call('callback', {
        node_id: waiting.id,
        version: await version(id, waiting.id),
        data: { bit: 1 },
      })
      expect(called.status).toBe(200)
      await t.settle()
      expect((await states(id))[later.id]).toBe('SUSPENDED')
      expect((await call('resume_node_appoint', { node_id: later.id })).status).toBe(200)
      await t.settle()
      expect((await states(id))[id]).toBe('FINISHED')
      const output = await call('get_execution_data_outputs', { node_id: waiting.id })
      expect(output.body.data.callback_data).toEqual({ bit: 1 })
      expect((await call('resume_node_appoint', { node_id: later.id })).status).toBe(409)
    })

    it('retries a failed node with new inputs and keeps its history', async () => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      const id = await run(sequence(failing))
      expect((await states(id))[failing.id]).toBe('FAILED')
      expect((await call('get_data', { node_id: failing.id })).body.data.inputs.bit).toEqual({
        need_render: false,
        value: 0,
      })
      const retried = await call('retry_node', { node_id: failing.id, data: { bit: 1 } })
      expect(retried.body).toEqual({ result: true, message: 'success', data: null, exc: null })
      await t.settle()
      expect((await states(id))[id]).toBe('FINISHED')
      const histories = await call('get_node_histories', { node_id: failing.id })
      expect(histories.body.data).toHaveLength(1)
      expect(histories.body.data[0]).toMatchObject({
        node_id: failing.id,
        loop: 1,
        retry: 0,
        skip: false,
      })
      expect(histories.body.data[0].inputs.bit).toBe(0)
      expect(histories.body.data[0].started_time).toMatch(ISO)
      const short = await call('get_node_short_histories', { node_id: failing.id, loop: 1 })
      expect(Object.keys(short.body.data[0]).sort()).toEqual(
        ['archived_time', 'id', 'loop', 'node_id', 'skip', 'started_time', 'version'].sort(),
      )
      const again = await call('retry_node', { node_id: failing.id })
      expect(again.status).toBe(409)
      expect(again.body.message).toBe(`${failing.id} state is not FAILED, actual FINISHED`)
    })

    it('skips a failed node', async () => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      const id = await run(sequence(failing))
      expect((await call('skip_node', { node_id: failing.id })).status).toBe(200)
      await t.settle()
      const answer = await call('get_children_states', { node_id: id })
      expect(answer.body.data[id].children[failing.id]).toMatchObject({
        state: 'FINISHED',
        skip: true,
      })
      expect((await states(id))[id]).toBe('FINISHED')
    })

    it('skips a failed exclusive gateway along a chosen flow', async () => {
      const { tree, gateway, branches } = exclusive(5, ['${value} > 10', '${value} > 20'])
      const id = await run(tree)
      expect((await states(id))[gateway.id]).toBe('FAILED')
      const flow = tree.gateways[gateway.id]!.outgoing as string[]
      const wrong = await call('skip_exclusive_gateway', {
        node_id: branches[0]!.id,
        flow_id: flow[0],
      })
      expect(wrong.status).toBe(409)
      expect(wrong.body.message).toMatch(/is not exclusive gateway, actual: ServiceActivity/)
      const skipped = await call('skip_exclusive_gateway', {
        node_id: gateway.id,
        flow_id: flow[1],
      })
      expect(skipped.status).toBe(200)
      await t.settle()
      const after = await states(id)
      expect(after[id]).toBe('FINISHED')
      expect(after[branches[1]!.id]).toBe('FINISHED')
      expect(after[branches[0]!.id]).toBeUndefined()
    })

    it('skips a failed conditional parallel gateway along the chosen flows', async () => {
      const a = act('debug_node')
      const b = act('debug_node')
      const { tree, gateway, converge } = parallel([a, b], 'cpg', ['1 == 2', '1 == 3'])
      const id = await run(tree)
      expect((await states(id))[gateway.id]).toBe('FAILED')
      const flows = tree.gateways[gateway.id]!.outgoing as string[]
      const bad = await call('skip_conditional_parallel_gateway', {
        node_id: gateway.id,
        flow_ids: flows,
        converge_gateway_id: 'enot_the_converge',
      })
      expect(bad.status).toBe(409)
      const skipped = await call('skip_conditional_parallel_gateway', {
        node_id: gateway.id,
        flow_ids: [flows[1]],
        converge_gateway_id: converge.id,
      })
      expect(skipped.status).toBe(200)
      await t.settle()
      const after = await states(id)
      expect(after[id]).toBe('FINISHED')
      expect(after[b.id]).toBe('FINISHED')
      expect(after[a.id]).toBeUndefined()
    })

    it('forces a waiting activity to fail and refuses its callback afterwards', async () => {
      const waiting = act('callback_node')
      const id = await run(sequence(waiting))
      const before = await version(id, waiting.id)
      const failed = await call('forced_fail_activity', {
        node_id: waiting.id,
        ex_data: 'stopped by hand',
      })
      expect(failed.status).toBe(200)
      expect((await states(id))[waiting.id]).toBe('FAILED')
      const outputs = await call('get_execution_data', { node_id: waiting.id })
      expect(outputs.body.data.outputs).toMatchObject({
        ex_data: 'stopped by hand',
        _forced_failed: true,
      })
      const late = await call('callback', { node_id: waiting.id, version: before, data: {} })
      expect(late.status).toBeGreaterThanOrEqual(400)
      expect(late.status).toBeLessThan(500)
      expect((await call('forced_fail_activity', { node_id: waiting.id })).status).toBe(409)
    })

    it('retries a subprocess whose parameters failed once the context is fixed', async () => {
      const { tree, sub, inner } = failingSubprocessTree()
      const id = await run(tree)
      expect((await states(id))[sub.id]).toBe('FAILED')
      const refused = await call('retry_subprocess', { node_id: id })
      expect(refused.status).toBeGreaterThanOrEqual(400)
      const fixed = await call('update_context_values', {
        pipeline_id: id,
        context_values: { '${boom}': 'fixed' },
      })
      expect(fixed.status).toBe(200)
      expect((await call('retry_subprocess', { node_id: sub.id })).status).toBe(200)
      await t.settle()
      expect((await states(id))[id]).toBe('FINISHED')
      const inputs = await call('get_execution_data_inputs', { node_id: inner.id })
      expect(inputs.body.data.echo).toBe('fixed')
    })

    it('answers the read functions: preview, execution times, unknown ids', async () => {
      const first = act('debug_node', { greeting: 'hello ${name}' })
      const tree = sequence(first)
      tree.data.inputs['${name}'] = { type: 'plain', value: 'world' }
      const preview = await call('preview_node_inputs', { pipeline: tree, node_id: first.id })
      expect(preview.body.data).toEqual({ greeting: 'hello world' })
      const id = await run(tree)
      const time = await call('get_pipeline_execution_time', { pipeline_id: id })
      expect(time.body.data).toMatchObject({ state: 'FINISHED' })
      expect(time.body.data.start_time).toMatch(ISO)
      const node = await call('get_node_execution_time', { node_id: first.id })
      expect(node.body.data.execution_time).toBeGreaterThanOrEqual(0)
      expect((await call('get_execution_data', { node_id: 'enothere' })).status).toBe(404)
      expect((await call('get_data', { node_id: 'enothere' })).status).toBe(404)
      expect((await call('get_execution_data_inputs', { node_id: 'enothere' })).body.data).toEqual(
        {},
      )
      expect((await call('get_node_execution_time', { node_id: 'enothere' })).status).toBe(404)
    })

    it('lets any user with a token call it, and nobody without one', async () => {
      const created = await t.post('/api/users', { name: `user-${database}` })
      expect(created.status).toBe(201)
      const userToken = created.body.token
      const tree = sequence(act('debug_node'))
      expect((await t.post('/api/bamboo/run_pipeline', { pipeline: tree }, userToken)).status).toBe(
        200,
      )
      const anonymous = await t.request('POST', '/api/bamboo/get_pipeline_states', {
        body: { root_id: tree.id },
        token: null,
      })
      expect(anonymous.status).toBe(401)
      const wrong = await t.request('POST', '/api/bamboo/get_pipeline_states', {
        body: { root_id: tree.id },
        token: 'culm_not_a_token',
      })
      expect(wrong.status).toBe(401)
      expect((await t.post('/api/users', { name: 'x' }, userToken)).status).toBe(403)
      const twice = await Promise.all([
        t.post('/api/users', { name: `twin-${database}` }),
        t.post('/api/users', { name: `twin-${database}` }),
      ])
      expect(twice.map((a) => a.status).sort()).toEqual([201, 409])
    })
  })
}
