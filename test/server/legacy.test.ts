import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failingThenReading } from '../conformance/trees.js'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, exclusive, parallel, sequence } from './trees.js'

const ACTION_KEYS = ['message', 'result']
const READ_KEYS = ['data', 'message', 'result']
const STATUS_KEYS = [
  'archived_time',
  'children',
  'created_time',
  'elapsed_time',
  'error_ignorable',
  'id',
  'loop',
  'name',
  'retry',
  'skip',
  'started_time',
  'state',
  'state_refresh_at',
  'version',
]

for (const database of DATABASES) {
  describe(`the pipeline_engine adapter over HTTP on ${database}`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    const call = (fn: string, body: unknown) => t.post(`/api/pipeline_engine/${fn}`, body)
    async function action(fn: string, body: unknown) {
      const answer = await call(fn, body)
      expect(Object.keys(answer.body).sort()).toEqual(ACTION_KEYS)
      return answer
    }
    async function start(tree: { id: string }): Promise<string> {
      const answer = await action('start_pipeline', { pipeline: tree })
      expect(answer.body).toEqual({ result: true, message: 'success' })
      await t.settle()
      return tree.id
    }
    async function status(id: string, maxDepth = 1) {
      const answer = await call('get_status_tree', { node_id: id, max_depth: maxDepth })
      expect(Object.keys(answer.body).sort()).toEqual(READ_KEYS)
      return answer
    }

    it('starts a pipeline and shows the older status tree', async () => {
      const first = act('debug_node', { a: 1 })
      const id = await start(sequence(first))
      const answer = await status(id)
      expect(answer.status).toBe(200)
      const root = answer.body.data
      expect(Object.keys(root).sort()).toEqual(STATUS_KEYS)
      expect(root).toMatchObject({
        id,
        state: 'FINISHED',
        name: "<class 'pipeline.core.pipeline.Pipeline'>",
        retry: 0,
        loop: 1,
        skip: false,
      })
      expect(root.elapsed_time).toBeGreaterThanOrEqual(0)
      expect(Object.keys(root.children)).toHaveLength(3)
      expect(root.children[first.id]).toMatchObject({
        state: 'FINISHED',
        name: "<class 'pipeline.core.flow.activity.ServiceActivity'>",
        children: {},
      })
      const shallow = await status(id, 0)
      expect(shallow.body.data.children).toEqual({})
      const missing = await status('pnothere')
      expect(missing.status).toBe(404)
      expect(missing.body.message).toBe(
        'node(pnothere) does not exist, may have not by executed or expired',
      )
    })

    it('pauses, resumes and revokes a pipeline with the older messages', async () => {
      const id = await start(sequence(act('callback_node')))
      expect((await action('pause_pipeline', { pipeline_id: id })).status).toBe(200)
      expect((await status(id)).body.data.state).toBe('SUSPENDED')
      expect((await action('resume_pipeline', { pipeline_id: id })).status).toBe(200)
      expect((await action('revoke_pipeline', { pipeline_id: id })).body.result).toBe(true)
      expect((await status(id)).body.data.state).toBe('REVOKED')
      const resume = await action('resume_pipeline', { pipeline_id: 'pnothere' })
      expect(resume.body).toEqual({
        result: false,
        message: 'only started pipeline can be resumed.',
      })
      expect(resume.status).toBe(404)
      const revoke = await action('revoke_pipeline', { pipeline_id: 'pnothere' })
      expect(revoke.body).toEqual({
        result: false,
        message: 'pipeline to be revoked does not exist.',
      })
    })

    it('appoints a pause at a node and resumes it', async () => {
      const waiting = act('callback_node')
      const later = act('debug_node')
      const id = await start(sequence(waiting, later))
      expect((await action('pause_node_appointment', { node_id: later.id })).status).toBe(200)
      const called = await action('activity_callback', {
        activity_id: waiting.id,
        callback_data: { bit: 1 },
      })
      expect(called.body).toEqual({ result: true, message: 'success' })
      await t.settle()
      expect((await status(id)).body.data.children[later.id].state).toBe('SUSPENDED')
      expect((await action('resume_node_appointment', { node_id: later.id })).status).toBe(200)
      await t.settle()
      expect((await status(id)).body.data.state).toBe('FINISHED')
    })

    it('shows a failed pipeline as BLOCKED, retries with inputs and lists the histories', async () => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      const id = await start(sequence(failing))
      expect((await status(id)).body.data.state).toBe('BLOCKED')
      const unknown = await action('retry_node', { node_id: 'enothere' })
      expect(unknown.body).toEqual({
        result: false,
        message: 'node not exists or not be executed yet',
      })
      expect(unknown.status).toBe(404)
      expect((await action('retry_node', { node_id: failing.id, inputs: { bit: 1 } })).status).toBe(
        200,
      )
      await t.settle()
      expect((await status(id)).body.data.state).toBe('FINISHED')
      const histories = await call('get_activity_histories', { node_id: failing.id })
      expect(histories.body.data).toHaveLength(1)
      expect(Object.keys(histories.body.data[0]).sort()).toEqual(
        [
          'archived_time',
          'elapsed_time',
          'ex_data',
          'history_id',
          'inputs',
          'loop',
          'outputs',
          'skip',
          'started_time',
        ].sort(),
      )
      expect(histories.body.data[0].inputs.bit).toBe(0)
      expect(
        (await call('get_activity_histories', { node_id: failing.id, loop: 2 })).body.data,
      ).toEqual([])
      const inputs = await call('get_inputs', { node_id: failing.id })
      expect(inputs.body.data.bit).toBe(1)
      const outputs = await call('get_outputs', { node_id: failing.id })
      expect(outputs.body.data).toEqual({
        outputs: expect.objectContaining({ _result: true }),
        ex_data: null,
      })
    })

    it('skips a failed node and refuses to skip or retry other node types', async () => {
      const { tree: skipTree, failing, after } = failingThenReading()
      const id = await start(skipTree)
      // An operator changes what the failure put into the context (the legacy API has no call
      // for it: straight through the engine).
      const set = await t.server.engine.api.updateContextValues({
        pipelineId: id,
        contextValues: { '${r}': 'set by operator' },
      })
      expect(set.result).toBe(true)
      const tree = await status(id)
      const startEvent = Object.values(
        tree.body.data.children as Record<string, { id: string; name: string }>,
      ).find((c) => c.name.includes('EmptyStartEvent'))!
      expect((await action('skip_node', { node_id: startEvent.id })).body.message).toBe(
        "can't skip this type of node",
      )
      expect((await action('retry_node', { node_id: startEvent.id })).body.message).toBe(
        "can't retry this type of node",
      )
      expect((await action('skip_node', { node_id: failing.id })).status).toBe(200)
      await t.settle()
      expect((await status(id)).body.data.children[failing.id]).toMatchObject({
        state: 'FINISHED',
        skip: true,
      })
      // The older engine's skip copied the node's outputs into the context again.
      const seen = await call('get_outputs', { node_id: after.id })
      expect(seen.body.data.outputs).toMatchObject({ seen: false })
    })

    it('skips failed exclusive and conditional parallel gateways', async () => {
      const ex = exclusive(5, ['${value} > 10', '${value} > 20'])
      const exId = await start(ex.tree)
      const exFlows = ex.tree.gateways[ex.gateway.id]!.outgoing as string[]
      const notGateway = await action('skip_exclusive_gateway', {
        node_id: ex.branches[0]!.id,
        flow_id: exFlows[0],
      })
      expect(notGateway.body.result).toBe(false)
      expect(
        (await action('skip_exclusive_gateway', { node_id: ex.gateway.id, flow_id: exFlows[0] }))
          .status,
      ).toBe(200)
      const cpg = parallel([act('debug_node'), act('debug_node')], 'cpg', ['1 == 2', '1 == 3'])
      const cpgId = await start(cpg.tree)
      const cpgFlows = cpg.tree.gateways[cpg.gateway.id]!.outgoing as string[]
      const skipped = await action('skip_conditional_parallel_gateway', {
        node_id: cpg.gateway.id,
        flow_ids: cpgFlows,
        converge_gateway_id: cpg.converge.id,
      })
      expect(skipped.status).toBe(200)
      await t.settle()
      expect((await status(exId)).body.data.state).toBe('FINISHED')
      expect((await status(cpgId)).body.data.state).toBe('FINISHED')
    })

    it('forces a running node to fail and reads outputs in batch', async () => {
      const waiting = act('callback_node')
      const done = act('debug_node', { b: 2 })
      const other = await start(sequence(done))
      const id = await start(sequence(waiting))
      const failed = await action('forced_fail', {
        node_id: waiting.id,
        ex_data: 'stop',
        kill: true,
      })
      expect(failed.body).toEqual({ result: true, message: 'success' })
      expect((await status(id)).body.data.children[waiting.id].state).toBe('FAILED')
      const batch = await call('get_batch_outputs', { node_ids: [waiting.id, done.id, 'enothere'] })
      expect(Object.keys(batch.body.data).sort()).toEqual([waiting.id, done.id].sort())
      expect(batch.body.data[waiting.id]).toEqual({
        outputs: expect.objectContaining({ _forced_failed: true }),
        ex_data: 'stop',
      })
      expect(batch.body.data[done.id].outputs.b).toBe(2)
      expect(other).toBeTruthy()
      const again = await action('forced_fail', { node_id: waiting.id })
      expect(again.status).toBe(409)
    })
  })
}
