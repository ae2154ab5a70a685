import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type FreshDatabase,
  freshDatabase,
  type OfflineServer,
  send,
  startOfflineServer,
  USER_HEADER,
  until,
} from './harness.js'
import { SEED_CREATE_BODY } from './seed-003.js'

// biome-ignore lint/suspicious/noExplicitAny: templates and answers are read by field
type Json = any

const ENGINE_KEY = 'cess-data-3'

/** The seed's template grown into a DAG: start → a, start → b; a, b → c (a sleep). */
function forkJoin(template: Json, fileRef: string): Json {
  const updated = structuredClone(template)
  updated.data.name = 'test1-fork-join'
  const job = (nodeId: string, type: string, params: Json, slots = true) => ({
    nodeId,
    type,
    name: nodeId,
    title: nodeId,
    params,
    componentKey: null,
    inputSlots: slots ? [{ elementType: 'TABLE', id: `${nodeId}-in` }] : null,
    outputSlots: [{ elementType: 'TABLE', id: `${nodeId}-out` }],
  })
  const startSlot = template.data.nodes[0].outputSlots[0].id
  updated.data.nodes.push(
    job('node_a', 'echo', { greeting: 'hi', file: fileRef }),
    job('node_b', 'echo', [{ key: 'side', value: 'b' }]),
    job('node_c', 'sleep_timer', { bk_timing: 0 }),
  )
  updated.data.edges = [
    {
      source: { cell: 'start_node', port: startSlot },
      target: { cell: 'node_a', port: 'node_a-in' },
    },
    { source: 'start_node', target: 'node_b' },
    { source: 'node_a', target: 'node_c', sourceSlotId: 'node_a-out', targetSlotId: 'node_c-in' },
    { source: 'node_b', target: 'node_c' },
  ]
  return updated
}

for (const database of ['mysql', 'sqlite'] as const)
  describe(`offline pipelines on ${database} (seed 003)`, () => {
    let scratch: FreshDatabase
    let s: OfflineServer
    let engineUrl: string
    let engineId: number
    let kernel: string
    const q = `engineKey=${ENGINE_KEY}`

    const history = async (pipelineId: number, page = 1, size = 50): Promise<Json> => {
      const answer = await s.request(
        'GET',
        `${kernel}/pipeline/${pipelineId}/historyList?page=${page}&size=${size}&engineId=${engineId}&${q}`,
      )
      expect(answer.body.status).toBe(0)
      return answer.body.data
    }
    const runState = (pipelineId: number, runId: number, state: string) =>
      until(`run ${runId} ${state}`, async () => {
        const found = (await history(pipelineId)).list.find((r: Json) => r.id === runId)
        return found?.status === state ? found : undefined
      })

    beforeAll(async () => {
      scratch = await freshDatabase(database)
      s = await startOfflineServer(scratch.url)
    })
    afterAll(async () => {
      await s?.close()
      await scratch?.drop()
    })

    it('answers the twelve calls in the order of the seed, with its create body byte for byte', async () => {
      // 01: the engine url of an engine key
      const info = await s.request('GET', `/engine-manager/v1/k8s/info/?engineKey=${ENGINE_KEY}`)
      expect(info.status).toBe(200)
      expect(info.body).toMatchObject({ status: 0, msg: '后台处理正常' })
      engineUrl = info.body.data.url
      expect(engineUrl).toMatch(/^\/engine\/\d+\/cess-data-3$/)
      kernel = `${engineUrl}/kernel/v1`

      // 02: the engine id
      const param = await s.request('GET', `${kernel}/system/getParam?${q}`)
      expect(param.body.status).toBe(0)
      engineId = param.body.data.engineId
      expect(engineUrl).toBe(`/engine/${engineId}/${ENGINE_KEY}`)

      // 03: create, with the seed's body as it is written
      const created = await s.request(
        'POST',
        `${kernel}/pipeline/template/${engineId}/create?${q}`,
        {
          body: SEED_CREATE_BODY,
        },
      )
      expect(created.status).toBe(200)
      expect(created.body.status).toBe(0)
      const pipelineId: number = created.body.data.id
      expect(pipelineId).toBeGreaterThan(0)
      expect(created.body.data.pipelineKey).toBe('test1')
      expect(created.body.data.data).toEqual(JSON.parse(SEED_CREATE_BODY).data)

      // 04: a job file
      const form = new FormData()
      form.append('file', new Blob(['job,file\n1,2\n']), 'job.csv')
      const uploaded = await send(`${s.url}${kernel}/template/uploadJobFileParam/1`, {
        method: 'POST',
        headers: { [USER_HEADER]: '1' },
        body: form,
      })
      expect(uploaded.body.status).toBe(0)
      expect(uploaded.body.data).toMatchObject({ fileName: 'job.csv', size: 13 })
      const fileRef: string = uploaded.body.data.ref

      // 05: the list
      const list = await s.request('GET', `${kernel}/pipeline/${engineId}/list?${q}`)
      expect(list.body.status).toBe(0)
      expect(list.body.data.map((t: Json) => t.id)).toContain(pipelineId)

      // 06: the detail
      const got = await s.request(
        'GET',
        `${kernel}/pipeline/template/${engineId}/${pipelineId}/get?${q}`,
      )
      expect(got.body.status).toBe(0)
      expect(got.body.data).toMatchObject({
        id: pipelineId,
        pipelineKey: 'test1',
        crontabStatus: 'OFF',
      })
      expect(got.body.data.data.nodes[0].nodeId).toBe('start_node')

      // 07: update the detail's json into a fork and a join
      const updated = await s.request(
        'PUT',
        `${kernel}/pipeline/template/${engineId}/update?${q}`,
        {
          body: forkJoin(got.body.data, fileRef),
        },
      )
      expect(updated.body.status).toBe(0)
      expect(updated.body.data.data.name).toBe('test1-fork-join')
      expect(updated.body.data.data.nodes).toHaveLength(4)

      // 08: the crontab switch: a SINGLE schedule fires one run, then switches itself off
      const on = await s.request(
        'POST',
        `${kernel}/pipeline/${engineId}/${pipelineId}/start?once=false&${q}`,
        {
          body: { data: ' ' },
        },
      )
      expect(on.body.status).toBe(0)
      expect(on.body.data.crontabStatus).toBe('ON')
      const scheduled = await until('the scheduled run', async () => {
        const runs = (await history(pipelineId)).list
        return runs.find((r: Json) => r.trigger === 'schedule')
      })
      await runState(pipelineId, scheduled.id, 'FINISHED')
      const off = await s.request(
        'POST',
        `${kernel}/pipeline/${engineId}/${pipelineId}/stop?${q}`,
        {
          body: { data: ' ' },
        },
      )
      expect(off.body).toMatchObject({
        status: 0,
        data: { crontabStatus: 'OFF', nextFireTime: null },
      })

      // 09: a run with per-node parameters
      const started = await s.request(
        'POST',
        `${kernel}/pipeline/${engineId}/${pipelineId}/start?${q}`,
        {
          body: { node_a: { key: 'value' }, node_c: { bk_timing: 0 } },
        },
      )
      expect(started.body.status).toBe(0)
      const runId: number = started.body.data.pipelineRunId
      const finished = await runState(pipelineId, runId, 'FINISHED')
      expect(finished.nodes.map((n: Json) => [n.nodeId, n.status])).toEqual([
        ['start_node', 'FINISHED'],
        ['node_a', 'FINISHED'],
        ['node_b', 'FINISHED'],
        ['node_c', 'FINISHED'],
      ])
      const nodeA = finished.nodes.find((n: Json) => n.nodeId === 'node_a').engineNodeId
      const outputs = await s.server.engine.api.getExecutionDataOutputs({ nodeId: nodeA })
      expect(outputs.data).toMatchObject({ greeting: 'hi', key: 'value', file: fileRef })

      // The run is an ordinary pipeline: the bamboo API reads it, with its parallel gateway.
      const states = await s.request('POST', '/api/bamboo/get_pipeline_states', {
        token: s.token,
        user: null,
        body: { root_id: finished.enginePipelineId },
      })
      expect(states.body.result).toBe(true)
      expect(states.body.data[finished.enginePipelineId].state).toBe('FINISHED')
      const tree = await s.request('POST', '/api/bamboo/get_pipeline_debug_info', {
        token: s.token,
        user: null,
        body: { pipeline_id: finished.enginePipelineId },
      })
      expect(tree.status).toBe(200)

      // 10: the history, newest first
      const page = await history(pipelineId, 1, 1)
      expect(page.total).toBe(2)
      expect(page.list.map((r: Json) => r.id)).toEqual([runId])
      expect((await history(pipelineId, 2, 1)).list.map((r: Json) => r.id)).toEqual([scheduled.id])

      // 11: stop a long run
      const long = await s.request(
        'POST',
        `${kernel}/pipeline/${engineId}/${pipelineId}/start?${q}`,
        {
          body: { node_c: { bk_timing: 600 } },
        },
      )
      const longId: number = long.body.data.pipelineRunId
      await until('the sleep to start', async () => {
        const run = (await history(pipelineId)).list.find((r: Json) => r.id === longId)
        return run.nodes.find((n: Json) => n.nodeId === 'node_c').status === 'RUNNING'
          ? run
          : undefined
      })
      const stopped = await s.request(
        'DELETE',
        `${kernel}/pipeline/${longId}/stopHistory?engineId=${engineId}&${q}`,
      )
      expect(stopped.body.status).toBe(0)
      await runState(pipelineId, longId, 'REVOKED')

      // 12: resume the stopped run: it starts again, with the same parameters
      const resumed = await s.request(
        'POST',
        `${kernel}/pipeline/${longId}/resumeHistory?engineId=${engineId}&${q}`,
      )
      expect(resumed.body.status).toBe(0)
      expect(resumed.body.data).toMatchObject({
        trigger: 'resume',
        resumedFrom: longId,
        params: { node_c: { bk_timing: 600 } },
      })
      const again = await runState(pipelineId, resumed.body.data.id, 'RUNNING')
      expect(again.id).not.toBe(longId)
      const stopAgain = await s.request(
        'DELETE',
        `${kernel}/pipeline/${again.id}/stopHistory?engineId=${engineId}&${q}`,
      )
      expect(stopAgain.body.status).toBe(0)
    })

    it("runs the seed's template as written: a start node and no job", async () => {
      const body = JSON.parse(SEED_CREATE_BODY)
      body.pipelineKey = 'seed-as-written'
      const created = await s.request(
        'POST',
        `${kernel}/pipeline/template/${engineId}/create?${q}`,
        {
          body,
        },
      )
      const id: number = created.body.data.id
      const started = await s.request('POST', `${kernel}/pipeline/${engineId}/${id}/start?${q}`)
      expect(started.body.status).toBe(0)
      const finished = await runState(id, started.body.data.id, 'FINISHED')
      expect(finished.nodes).toEqual([
        expect.objectContaining({ nodeId: 'start_node', status: 'FINISHED' }),
      ])
    })

    it('resumes a paused run and retries the failed nodes of a failed run', async () => {
      const body = JSON.parse(SEED_CREATE_BODY)
      body.pipelineKey = 'resume-cases'
      body.data.nodes.push(
        { nodeId: 'sleep', type: 'sleep_timer', params: { bk_timing: 600 } },
        { nodeId: 'check', type: 'fail_ctrl_node', params: { bit: 1 } },
      )
      body.data.edges = [{ source: 'start_node', target: 'sleep' }]
      const created = await s.request(
        'POST',
        `${kernel}/pipeline/template/${engineId}/create?${q}`,
        {
          body,
        },
      )
      expect(created.body.status).toBe(0)
      const id: number = created.body.data.id

      // Given a run whose check fails
      const failing = await s.request('POST', `${kernel}/pipeline/${engineId}/${id}/start?${q}`, {
        body: { sleep: { bk_timing: 0 }, check: { bit: 0 } },
      })
      const failed = await runState(id, failing.body.data.id, 'FAILED')
      expect(failed.nodes.find((n: Json) => n.nodeId === 'check')).toMatchObject({
        status: 'FAILED',
        retry: 0,
      })
      // When it is resumed, then the failed node runs again (and fails again: its input is 0)
      const retried = await s.request(
        'POST',
        `${kernel}/pipeline/${failed.id}/resumeHistory?engineId=${engineId}&${q}`,
      )
      expect(retried.body.status).toBe(0)
      await until('the retry', async () => {
        const run = (await history(id)).list.find((r: Json) => r.id === failed.id)
        const check = run.nodes.find((n: Json) => n.nodeId === 'check')
        return check.retry === 1 && check.status === 'FAILED' ? run : undefined
      })

      // Given a paused run, when it is resumed, then it runs again
      const long = await s.request('POST', `${kernel}/pipeline/${engineId}/${id}/start?${q}`, {
        body: {},
      })
      const running = await runState(id, long.body.data.id, 'RUNNING')
      const paused = await s.request('POST', '/api/bamboo/pause_pipeline', {
        token: s.token,
        user: null,
        body: { pipeline_id: running.enginePipelineId },
      })
      expect(paused.body.result).toBe(true)
      await runState(id, running.id, 'SUSPENDED')
      const resumed = await s.request(
        'POST',
        `${kernel}/pipeline/${running.id}/resumeHistory?engineId=${engineId}&${q}`,
      )
      expect(resumed.body.status).toBe(0)
      await runState(id, running.id, 'RUNNING')
      // A running run has nothing to resume.
      const refused = await s.request(
        'POST',
        `${kernel}/pipeline/${running.id}/resumeHistory?engineId=${engineId}&${q}`,
      )
      expect(refused.status).toBe(409)
      expect(refused.body.status).toBe(409)
      await s.request(
        'DELETE',
        `${kernel}/pipeline/${running.id}/stopHistory?engineId=${engineId}&${q}`,
      )
      await runState(id, running.id, 'REVOKED')
      // A stopped run cannot be stopped again.
      const twice = await s.request(
        'DELETE',
        `${kernel}/pipeline/${running.id}/stopHistory?engineId=${engineId}&${q}`,
      )
      expect(twice.status).toBe(409)
    })

    it('retries a failing job retryCount times, retryGapTime apart', async () => {
      const body = JSON.parse(SEED_CREATE_BODY)
      body.pipelineKey = 'retries'
      body.data.nodes.push({ nodeId: 'check', type: 'fail_ctrl_node', params: { bit: 0 } })
      Object.assign(body.data.executionConfig, {
        retryCount: 2,
        retryGapTime: 1,
        retryGapTimeUnit: 'SECOND',
      })
      const created = await s.request(
        'POST',
        `${kernel}/pipeline/template/${engineId}/create?${q}`,
        {
          body,
        },
      )
      const id: number = created.body.data.id
      const started = await s.request('POST', `${kernel}/pipeline/${engineId}/${id}/start?${q}`)
      const run = await until('two retries', async () => {
        const found = (await history(id)).list.find((r: Json) => r.id === started.body.data.id)
        const check = found.nodes.find((n: Json) => n.nodeId === 'check')
        return check.retry === 2 && check.status === 'FAILED' ? found : undefined
      })
      expect(run.status).toBe('FAILED')
      // No third retry comes.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const later = (await history(id)).list.find((r: Json) => r.id === run.id)
      expect(later.nodes.find((n: Json) => n.nodeId === 'check').retry).toBe(2)
    })

    it('describes the twelve calls in the OpenAPI document', async () => {
      const doc = await s.request('GET', '/openapi.json', { user: null })
      const paths = Object.keys(doc.body.paths).filter(
        (p) => p.startsWith('/engine-manager') || p.startsWith('/engine/'),
      )
      const calls = paths.flatMap((p) => Object.keys(doc.body.paths[p]).map((m) => `${m} ${p}`))
      expect(calls).toHaveLength(12)
      expect(calls).toContain(
        'delete /engine/{engineId}/{engineKey}/kernel/v1/pipeline/{pipelineRunId}/stopHistory',
      )
    })

    it('stops a run that passes its timeOut', async () => {
      const body = JSON.parse(SEED_CREATE_BODY)
      body.pipelineKey = 'time-out'
      body.data.nodes.push({ nodeId: 'sleep', type: 'sleep_timer', params: { bk_timing: 600 } })
      body.data.executionConfig.timeOut = 1
      body.data.executionConfig.timeOutUnit = 'SECOND'
      const created = await s.request(
        'POST',
        `${kernel}/pipeline/template/${engineId}/create?${q}`,
        {
          body,
        },
      )
      const id: number = created.body.data.id
      const started = await s.request('POST', `${kernel}/pipeline/${engineId}/${id}/start?${q}`)
      expect(started.body.status).toBe(0)
      const revoked = await runState(id, started.body.data.id, 'REVOKED')
      expect(revoked.timedOut).toBe(true)
    })

    it('maps X-FlowEngine-UserId to a user, and keeps pipelines to their creators', async () => {
      const missing = await s.request('GET', `${kernel}/system/getParam?${q}`, { user: null })
      expect(missing.status).toBe(401)
      expect(missing.body.status).toBe(401)
      expect(missing.body.msg).toContain(USER_HEADER)
      const unknown = await s.request('GET', `${kernel}/system/getParam?${q}`, { user: '999' })
      expect(unknown.status).toBe(401)
      const { user } = await s.server.users.create('someone', false)
      const byName = await s.request('GET', `${kernel}/pipeline/${engineId}/list?${q}`, {
        user: 'someone',
      })
      expect(byName.body).toMatchObject({ status: 0, data: [] })
      const theirs = (await s.request('GET', `${kernel}/pipeline/${engineId}/list?${q}`)).body
        .data[0]
      const foreign = await s.request(
        'GET',
        `${kernel}/pipeline/template/${engineId}/${theirs.id}/get?${q}`,
        {
          user: String(user.id),
        },
      )
      expect(foreign.status).toBe(403)
      expect(foreign.body.status).toBe(403)
    })
  })
