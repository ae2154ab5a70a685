import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withSubprocess } from '../conformance/trees.js'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import { DATABASES } from './harness.js'
import { startTaskServer, type TaskServer } from './tasks-kit.js'
import { act, exclusive, parallel, sequence } from './trees.js'

// biome-ignore lint/suspicious/noExplicitAny: trees and answers are read by field
type Json = any

function activityByCode(tree: Json, code: string, nth = 0): string {
  const found = Object.values(tree.activities as Record<string, Json>).filter(
    (a) => a.component?.code === code,
  )
  expect(found.length, `activities ${code}`).toBeGreaterThan(nth)
  return found[nth].id
}

function gatewayOf(tree: Json, type: string): Json {
  const found = Object.values(tree.gateways as Record<string, Json>).find((g) => g.type === type)
  expect(found, type).toBeDefined()
  return found
}

for (const database of DATABASES) {
  describe(`task node operations on ${database}`, () => {
    let t: TaskServer
    beforeAll(async () => {
      t = await startTaskServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    async function run(tree: unknown, extra: Record<string, unknown> = {}) {
      const created = await t.gw('POST', `/apigw/fast_create_task/${t.projectA.bk_biz_id}/`, {
        name: 'node operations',
        pipeline_tree: tree,
        ...extra,
      })
      expect(created.status, JSON.stringify(created.body)).toBe(200)
      const path = `${created.body.data.task_id}/${t.projectA.bk_biz_id}`
      expect((await t.gw('POST', `/apigw/start_task/${path}/`)).status).toBe(200)
      await t.settle()
      return { path, tree: created.body.data.pipeline_tree as Json }
    }
    const status = async (path: string) =>
      (await t.gw('GET', `/apigw/get_task_status/${path}/`)).body.data
    const nodeState = async (path: string, nodeId: string) =>
      (await status(path)).children[nodeId]?.state as string | undefined
    const operate = (path: string, body: Record<string, unknown>) =>
      t.gw('POST', `/apigw/operate_node/${path}/`, body)

    it('retries a failed node with new inputs and calls a waiting node back', async () => {
      const task = await run(sequence(act('fail_ctrl_node', { bit: 0 }), act('callback_node')))
      const failing = activityByCode(task.tree, 'fail_ctrl_node')
      const waiting = activityByCode(task.tree, 'callback_node')
      expect(await nodeState(task.path, failing)).toBe('FAILED')
      const refusals: Array<[Record<string, unknown>, number]> = [
        [{ node_id: failing, action: 'forced_fail' }, 409],
        [{ node_id: failing, action: 'skip_exg', flow_id: 'line0' }, 409],
        [{ node_id: failing, action: 'skip_cpg', flow_ids: ['a'], converge_gateway_id: 'b' }, 409],
        [{ node_id: failing, action: 'skip_exg' }, 400],
        [{ node_id: 'nodenotinthistask', action: 'retry' }, 404],
        [{ node_id: failing, action: 'explode' }, 400],
      ]
      for (const [body, code] of refusals) {
        const answer = await operate(task.path, body)
        expect(answer.status, JSON.stringify(body)).toBe(code)
        expect(answer.body.result).toBe(false)
      }
      expect(await nodeState(task.path, failing)).toBe('FAILED')

      const retried = await operate(task.path, {
        node_id: failing,
        action: 'retry',
        inputs: { bit: 1 },
      })
      expect(retried.status, JSON.stringify(retried.body)).toBe(200)
      await t.settle()
      expect(await nodeState(task.path, failing)).toBe('FINISHED')
      expect(await nodeState(task.path, waiting)).toBe('RUNNING')
      for (const action of ['retry', 'skip']) {
        expect((await operate(task.path, { node_id: waiting, action })).status).toBe(409)
      }
      const detail = await t.gw('GET', `/apigw/get_task_node_detail/${task.path}/`, {
        node_id: failing,
      })
      expect(detail.body.data).toMatchObject({ state: 'FINISHED', retry: 1 })
      expect(detail.body.data.histories).toHaveLength(1)

      const called = await t.gw('POST', `/apigw/node_callback/${task.path}/`, {
        node_id: waiting,
        callback_data: { bit: 1 },
      })
      expect(called.status, JSON.stringify(called.body)).toBe(200)
      await t.settle()
      expect((await status(task.path)).state).toBe('FINISHED')
      const late = await t.gw('POST', `/apigw/node_callback/${task.path}/`, {
        node_id: waiting,
        callback_data: {},
      })
      expect(late.status).toBeGreaterThanOrEqual(400)
      expect(late.status).toBeLessThan(500)
      const waited = await t.gw('GET', `/apigw/get_task_node_detail/${task.path}/`, {
        node_id: waiting,
      })
      expect(waited.body.data.outputs.callback_data).toEqual({ bit: 1 })
      const log = await t.gw('GET', `/apigw/get_operation_log/${t.projectA.bk_biz_id}/`, {
        task_id: task.path.split('/')[0],
      })
      expect(log.body.data.map((o: Json) => [o.operation, o.node_id])).toEqual([
        ['create', null],
        ['start', null],
        ['node_retry', failing],
        ['node_callback', waiting],
      ])
      expect(log.body.data[2].detail).toEqual({ inputs: { bit: 1 } })
    })

    it('skips a failed node, and calls back through operate_node', async () => {
      const task = await run(
        sequence(act('fail_ctrl_node', { bit: 0 }), act('callback_node'), act('debug_node')),
      )
      const failing = activityByCode(task.tree, 'fail_ctrl_node')
      const waiting = activityByCode(task.tree, 'callback_node')
      expect((await operate(task.path, { node_id: failing, action: 'skip' })).status).toBe(200)
      await t.settle()
      expect((await status(task.path)).children[failing]).toMatchObject({
        state: 'FINISHED',
        skip: true,
      })
      expect((await operate(task.path, { node_id: failing, action: 'skip' })).status).toBe(409)
      const called = await operate(task.path, {
        node_id: waiting,
        action: 'callback',
        data: { bit: 1 },
      })
      expect(called.status, JSON.stringify(called.body)).toBe(200)
      await t.settle()
      expect((await status(task.path)).state).toBe('FINISHED')
    })

    it('skips a failed exclusive gateway along a chosen flow', async () => {
      const { tree } = exclusive(5, ['${value} > 10', '${value} > 20'])
      const task = await run(tree)
      const gateway = gatewayOf(task.tree, 'ExclusiveGateway')
      expect(await nodeState(task.path, gateway.id)).toBe('FAILED')
      const missing = await operate(task.path, { node_id: gateway.id, action: 'skip_exg' })
      expect(missing.status).toBe(400)
      expect(missing.body.message).toContain('flow_id')
      const wrongFlow = await operate(task.path, {
        node_id: gateway.id,
        action: 'skip_exg',
        flow_id: 'flow-of-nothing',
      })
      expect(wrongFlow.status).toBe(409)
      const skipped = await operate(task.path, {
        node_id: gateway.id,
        action: 'skip_exg',
        flow_id: gateway.outgoing[1],
      })
      expect(skipped.status, JSON.stringify(skipped.body)).toBe(200)
      await t.settle()
      const after = await status(task.path)
      expect(after.state).toBe('FINISHED')
      const branch = task.tree.flows[gateway.outgoing[1]].target
      expect(after.children[branch].state).toBe('FINISHED')
      expect(after.children[task.tree.flows[gateway.outgoing[0]].target]).toBeUndefined()
    })

    it('skips a failed conditional parallel gateway along chosen flows', async () => {
      const { tree } = parallel([act('debug_node'), act('debug_node')], 'cpg', ['1 > 2', '1 > 3'])
      const task = await run(tree)
      const gateway = gatewayOf(task.tree, 'ConditionalParallelGateway')
      const converge = gatewayOf(task.tree, 'ConvergeGateway')
      expect(await nodeState(task.path, gateway.id)).toBe('FAILED')
      const wrong = await operate(task.path, {
        node_id: gateway.id,
        action: 'skip_cpg',
        flow_ids: [gateway.outgoing[0]],
        converge_gateway_id: gateway.id,
      })
      expect(wrong.status).toBe(409)
      const skipped = await operate(task.path, {
        node_id: gateway.id,
        action: 'skip_cpg',
        flow_ids: [gateway.outgoing[0]],
        converge_gateway_id: converge.id,
      })
      expect(skipped.status, JSON.stringify(skipped.body)).toBe(200)
      await t.settle()
      expect((await status(task.path)).state).toBe('FINISHED')
    })

    it('forces a running node to fail, then skips it', async () => {
      const task = await run(sequence(act('sleep_timer', { bk_timing: 30 }), act('debug_node')))
      const sleeping = activityByCode(task.tree, 'sleep_timer')
      expect(await nodeState(task.path, sleeping)).toBe('RUNNING')
      expect((await operate(task.path, { node_id: sleeping, action: 'skip' })).status).toBe(409)
      const failed = await operate(task.path, {
        node_id: sleeping,
        action: 'forced_fail',
        ex_data: 'stopped by hand',
      })
      expect(failed.status, JSON.stringify(failed.body)).toBe(200)
      await t.settle()
      expect(await nodeState(task.path, sleeping)).toBe('FAILED')
      const detail = await t.gw('GET', `/apigw/get_task_node_detail/${task.path}/`, {
        node_id: sleeping,
      })
      expect(detail.body.data.ex_data).toBe('stopped by hand')
      expect((await operate(task.path, { node_id: sleeping, action: 'forced_fail' })).status).toBe(
        409,
      )
      expect((await operate(task.path, { node_id: sleeping, action: 'skip' })).status).toBe(200)
      await t.settle()
      expect((await status(task.path)).state).toBe('FINISHED')
    })

    it('starts a task once when two starts race', async () => {
      const created = await t.gw('POST', `/apigw/fast_create_task/${t.projectA.bk_biz_id}/`, {
        name: 'raced',
        pipeline_tree: sequence(act('callback_node')),
      })
      const path = `${created.body.data.task_id}/${t.projectA.bk_biz_id}`
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => t.gw('POST', `/apigw/start_task/${path}/`)),
      )
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409])
      await t.settle()
      expect((await status(path)).state).toBe('RUNNING')
      const log = await t.gw('GET', `/apigw/get_operation_log/${t.projectA.bk_biz_id}/`, {
        task_id: created.body.data.task_id,
      })
      expect(log.body.data.map((o: Json) => o.operation)).toEqual(['create', 'start'])
      expect(
        (await t.gw('POST', `/apigw/operate_task/${path}/`, { action: 'revoke' })).status,
      ).toBe(200)
      await t.settle()
    })

    it('shows a subprocess with its own nodes, each by name', async () => {
      const { tree, sub, inner, after } = withSubprocess('hello')
      const built = tree as Json
      built.activities[sub.id].name = 'the subprocess'
      built.activities[sub.id].pipeline.activities[inner.id].name = 'inner echo'
      built.activities[after.id].name = 'after'
      const task = await run(tree)
      expect((await status(task.path)).state).toBe('FINISHED')
      const root = await status(task.path)
      const subId = Object.values(task.tree.activities as Record<string, Json>).find(
        (a) => a.type === 'SubProcess',
      ).id
      const subEntry = root.children[subId]
      expect(subEntry).toMatchObject({
        name: 'the subprocess',
        type: 'SubProcess',
        state: 'FINISHED',
      })
      const innerEntries = Object.values(subEntry.children as Record<string, Json>)
      expect(innerEntries.map((c) => c.name)).toContain('inner echo')
      expect(Object.values(root.children as Record<string, Json>).map((c) => c.name)).toContain(
        'after',
      )
      const innerId = innerEntries.find((c) => c.name === 'inner echo').id
      const detail = await t.gw('GET', `/apigw/get_task_node_detail/${task.path}/`, {
        node_id: innerId,
      })
      expect(detail.body.data).toMatchObject({ name: 'inner echo', state: 'FINISHED' })
      expect(detail.body.data.outputs.echo).toBe('hello')
    })

    it('runs a pipeline_engine task, which engine admin serves as pipeline_engine only', async () => {
      const { bk_app_code: _c, bk_app_secret: _s, bk_token: _t, ...seed } = request
      const created = await t.gw('POST', '/apigw/fast_create_task/', {
        ...seed,
        project_id: t.projectA.bk_biz_id,
        engine_type: 'pipeline_engine',
        constants: { bk_timing: 3 },
      })
      expect(created.status, JSON.stringify(created.body)).toBe(200)
      const path = `${created.body.data.task_id}/${t.projectA.bk_biz_id}`
      expect((await t.gw('POST', `/apigw/start_task/${path}/`)).status).toBe(200)
      await t.settle()
      const pipelineId = (await status(path)).id
      const admin = (type: string, action: string) =>
        t.post(`/engine-admin/api/v1/${type}/${action}/${pipelineId}`, {})
      expect((await admin('bamboo_engine', 'task_pause')).status).toBe(409)
      expect((await admin('pipeline_engine', 'task_pause')).status).toBe(200)
      expect((await status(path)).state).toBe('SUSPENDED')
      expect(
        (await t.gw('POST', `/apigw/operate_task/${path}/`, { action: 'resume' })).status,
      ).toBe(200)
      expect(await t.runOut(path)).toBe('FINISHED')
      const detail = (await t.gw('GET', `/apigw/get_task_detail/${path}/`)).body.data
      expect(detail).toMatchObject({ engine_type: 'pipeline_engine', state: 'FINISHED' })
      expect(detail.outputs).toEqual({ '${bk_timing}': 3 })
      const listed = await t.gw('GET', `/apigw/get_tasks/${t.projectA.bk_biz_id}/`, {
        engine_type: 'pipeline_engine',
      })
      expect(listed.body.data.map((x: Json) => x.id)).toEqual([created.body.data.task_id])
    })

    it('retries a failed node of a pipeline_engine task through the adapter', async () => {
      const task = await run(sequence(act('fail_ctrl_node', { bit: 0 })), {
        engine_type: 'pipeline_engine',
      })
      const failing = activityByCode(task.tree, 'fail_ctrl_node')
      expect(await nodeState(task.path, failing)).toBe('FAILED')
      const retried = await operate(task.path, {
        node_id: failing,
        action: 'retry',
        inputs: { bit: 1 },
      })
      expect(retried.status, JSON.stringify(retried.body)).toBe(200)
      await t.settle()
      expect((await status(task.path)).state).toBe('FINISHED')
    })
  })
}
