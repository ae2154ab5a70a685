import { MAX_STEP_ATTEMPTS } from '@culm/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Answer, DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, parallel, sequence } from './trees.js'

function ok(answer: Answer, status = 200): Answer {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  return answer
}

interface Stuck {
  id: string
  kind: string
  run_id: string
  node_id: string | null
  since: number | null
  detail: string
  action: {
    name: string
    engine_type: string
    instance_id: string
    body: Record<string, unknown>
    label: string
  } | null
}

async function stuckOf(t: TestServer, runId: string, query = '', token?: string): Promise<Stuck[]> {
  const answer = ok(
    await t.request('GET', `/api/stuck${query}`, token === undefined ? {} : { token }),
  )
  return (answer.body.data as Stuck[]).filter((s) => s.run_id === runId)
}

/** Runs the action a stuck entry names, through the engine admin API, as the console does. */
async function unblock(t: TestServer, stuck: Stuck, body?: Record<string, unknown>) {
  const action = stuck.action!
  return ok(
    await t.post(
      `/engine-admin/api/v1/${action.engine_type}/${action.name}/${action.instance_id}`,
      body ?? action.body,
    ),
  )
}

/** Ends a node's wait directly in the store's tables: FINISHED now, its schedule finished. */
async function endWaitInStore(t: TestServer, nodeId: string): Promise<void> {
  await t.store.db
    .updateTable('culm_states')
    .set({ name: 'FINISHED', archived_time: t.clock.now() })
    .where('node_id', '=', nodeId)
    .execute()
  await t.store.db
    .updateTable('culm_schedules')
    .set({ finished: 1 })
    .where('node_id', '=', nodeId)
    .execute()
}

async function rootState(t: TestServer, runId: string): Promise<string> {
  return ok(await t.request('GET', `/api/runs/${runId}`)).body.state
}

for (const database of DATABASES) {
  describe(`stuck runs on ${database}`, () => {
    let t: TestServer
    let real: TestServer

    beforeAll(async () => {
      t = await startTestServer(database)
      real = await startTestServer(database, { realClock: true })
    })
    afterAll(async () => {
      await t?.close()
      await real?.close()
    })

    it('finds a slow node RUNNING past the threshold; force-failing then retrying it unblocks the run', async () => {
      // Given a run whose node spends 30 s in execute, on the machine's clock
      const slow = act('dummy_exec_node', { time: 30 })
      const tree = sequence(slow)
      ok(await real.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      // When it has run for more than a second
      let found: Stuck[] = []
      for (let i = 0; i < 100 && found.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        found = await stuckOf(real, tree.id, '?running_longer_than=1')
      }
      // Then it is a long-running node, and not before its threshold
      expect(found).toEqual([
        expect.objectContaining({
          kind: 'long_running_node',
          node_id: slow.id,
          engine_type: 'bamboo_engine',
          action: expect.objectContaining({ name: 'node_forced_fail', instance_id: slow.id }),
        }),
      ])
      expect(found[0]!.detail).toContain('dummy_exec_node')
      expect(await stuckOf(real, tree.id)).toEqual([])
      // Its component still runs: dispatching the run again is refused, naming why.
      const running = await real.post(
        `/engine-admin/api/v1/bamboo_engine/task_redispatch/${tree.id}`,
        {},
      )
      expect(running.status).toBe(409)
      expect(running.body.message).toContain('has a step or a component call under way')
      // And its action fails the node, which then waits as a terminal node to be retried
      await unblock(real, found[0]!)
      const failed = await stuckOf(real, tree.id, '?running_longer_than=1')
      expect(failed).toEqual([
        expect.objectContaining({
          kind: 'terminal_node',
          node_id: slow.id,
          action: expect.objectContaining({ name: 'node_retry', instance_id: slow.id }),
        }),
      ])
      // The retry, with the input edited to a quick run, finishes the run
      await unblock(real, failed[0]!, { inputs: { time: 0 } })
      await real.settle()
      expect(await rootState(real, tree.id)).toBe('FINISHED')
      expect(await stuckOf(real, tree.id, '?running_longer_than=0')).toEqual([])
    })

    it('finds a poll whose step gave up while the storage was down; dispatching it again unblocks it', async () => {
      const timer = act('sleep_timer', { bk_timing: 5 })
      const tree = sequence(timer)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      expect(await stuckOf(t, tree.id)).toEqual([])
      // The storage goes down as the poll falls due: its step gives up, and nothing else would
      // run the poll again while this server lives.
      t.outage(MAX_STEP_ATTEMPTS)
      await t.advance(5000)
      expect(await stuckOf(t, tree.id)).toEqual([])
      await t.advance(2 * 60 * 1000)
      const [overdue] = await stuckOf(t, tree.id)
      expect(overdue).toMatchObject({
        kind: 'overdue_schedule',
        node_id: timer.id,
        action: { name: 'task_redispatch', instance_id: tree.id, body: {} },
      })
      expect(overdue!.detail).toContain('poll')
      expect(overdue!.detail).toContain('min ago')
      const answer = await unblock(t, overdue!)
      expect(answer.body.data).toMatchObject({
        executed: [],
        scheduled: [{ node_id: timer.id }],
        joined: [],
      })
      await t.settle()
      expect(await rootState(t, tree.id)).toBe('FINISHED')
      expect(await stuckOf(t, tree.id, '?running_longer_than=0')).toEqual([])
    })

    it('finds a run whose next step gave up; dispatching it again finishes it, on both engine types', async () => {
      for (const [engineType, start] of [
        ['bamboo_engine', '/api/bamboo/run_pipeline'],
        ['pipeline_engine', '/api/pipeline_engine/start_pipeline'],
      ] as const) {
        const waiting = act('callback_node')
        const tree = sequence(waiting, act('debug_node'))
        ok(await t.post(start, { pipeline: tree }))
        await t.settle()
        // Paused while a node waits, the run stops before the next node; the resume commits,
        // then the step that goes on finds the storage down on every attempt and gives up.
        ok(await t.post(`/engine-admin/api/v1/${engineType}/task_pause/${tree.id}`, {}))
        ok(await t.post(`/engine-admin/api/v1/${engineType}/node_callback/${waiting.id}`, {}))
        await t.settle()
        t.outage(MAX_STEP_ATTEMPTS, 'after the next commit')
        ok(await t.post(`/engine-admin/api/v1/${engineType}/task_resume/${tree.id}`, {}))
        await t.settle()
        expect(await rootState(t, tree.id)).toBe('RUNNING')
        await t.clock.advance(2 * 3600 * 1000)
        const [idle] = await stuckOf(t, tree.id)
        expect(idle).toMatchObject({
          kind: 'idle_run',
          engine_type: engineType,
          action: { name: 'task_redispatch', engine_type: engineType, instance_id: tree.id },
        })
        // Five operators press the button at once: one sends the run on.
        const answers = await Promise.all(
          Array.from({ length: 5 }, () =>
            t.post(`/engine-admin/api/v1/${engineType}/task_redispatch/${tree.id}`, {}),
          ),
        )
        expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409])
        await t.settle()
        expect(await rootState(t, tree.id)).toBe('FINISHED')
        expect(await stuckOf(t, tree.id, '?running_longer_than=0')).toEqual([])
        // A second call finds nothing left to move, and says why.
        const again = await t.post(
          `/engine-admin/api/v1/${engineType}/task_redispatch/${tree.id}`,
          {},
        )
        expect(again.status).toBe(409)
        expect(again.body.message).toContain('only a RUNNING pipeline is dispatched again')
      }
    })

    it('finds a callback accepted while the storage went down; applying it, not failing the node, unblocks it', async () => {
      const waiting = act('callback_node')
      const tree = sequence(waiting)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      t.outage(MAX_STEP_ATTEMPTS, 'after the next commit')
      ok(
        await t.post(`/engine-admin/api/v1/bamboo_engine/node_callback/${waiting.id}`, {
          data: { bit: 1 },
        }),
      )
      await t.settle()
      await t.clock.advance(2 * 3600 * 1000)
      const [stuck] = await stuckOf(t, tree.id)
      expect(stuck).toMatchObject({
        kind: 'long_running_node',
        node_id: waiting.id,
        action: { name: 'task_redispatch', instance_id: tree.id },
      })
      expect(stuck!.detail).toContain("a callback's data waits to be applied")
      const answer = await unblock(t, stuck!)
      expect(answer.body.data.scheduled).toEqual([expect.objectContaining({ node_id: waiting.id })])
      await t.settle()
      expect(await rootState(t, tree.id)).toBe('FINISHED')
    })

    it('refuses to dispatch again a run that only waits for a callback, and an unknown one', async () => {
      const waiting = act('callback_node')
      const tree = sequence(waiting)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      const refused = await t.post(`/engine-admin/api/v1/bamboo_engine/task_redispatch/${tree.id}`)
      expect(refused.status).toBe(409)
      expect(refused.body).toMatchObject({ result: false, data: null })
      expect(refused.body.message).toContain('waits for a callback')
      const user = ok(await t.post('/api/users', { name: `dave-${database}` }), 201).body
      const denied = await t.post(
        `/engine-admin/api/v1/bamboo_engine/task_redispatch/${tree.id}`,
        {},
        user.token,
      )
      expect(denied.status).toBe(403)
      expect(denied.body.message).toBe('You have no permission to call pipeline engine admin api.')
      const unknown = await t.post('/engine-admin/api/v1/bamboo_engine/task_redispatch/nope')
      expect(unknown.status).toBe(404)
      expect(unknown.body.message).toBe('pipeline(nope) does not exist')
      const malformed = await t.post(
        `/engine-admin/api/v1/bamboo_engine/task_redispatch/${tree.id}`,
        { force: true },
      )
      expect(malformed.status).toBe(400)
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/node_callback/${waiting.id}`, {}))
      await t.settle()
      expect(await rootState(t, tree.id)).toBe('FINISHED')
    })

    it('finds a converge gateway whose branches all ended without arriving; revoking ends the run', async () => {
      const waiting = act('callback_node')
      const { tree, converge } = parallel([waiting, act('debug_node')])
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      expect(await stuckOf(t, tree.id)).toEqual([])
      // The engine never ends a branch's process short of its converge but on revoke: the waiting
      // branch's process is marked dead directly in the store's table, as a lost branch would be.
      await t.store.db
        .updateTable('culm_processes')
        .set({ dead: 1 })
        .where('current_node_id', '=', waiting.id)
        .execute()
      const found = await stuckOf(t, tree.id)
      const stuck = found.find((s) => s.kind === 'converge_waiting')
      expect(stuck).toMatchObject({
        node_id: converge.id,
        action: { name: 'task_revoke', instance_id: tree.id },
      })
      expect(stuck!.action!.label).toContain('a branch ended short of the converge gateway')
      expect(stuck!.detail).toContain('1 arrived')
      expect(stuck!.since).toBe(t.clock.now())
      expect(found.map((s) => s.kind)).not.toContain('idle_run')
      await unblock(t, stuck!)
      expect(await rootState(t, tree.id)).toBe('REVOKED')
      expect(await stuckOf(t, tree.id, '?running_longer_than=0')).toEqual([])
    })

    it('finds a converge gateway whose branches all arrived but one was not counted; joining goes on', async () => {
      const waiting = act('callback_node')
      const { tree, converge } = parallel([waiting, act('debug_node')])
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      // The waiting branch reaches the converge but its arrival is lost: its node finished and
      // its process ended at the converge, directly in the store's tables.
      await endWaitInStore(t, waiting.id)
      await t.store.db
        .updateTable('culm_processes')
        .set({ dead: 1, current_node_id: converge.id })
        .where('current_node_id', '=', waiting.id)
        .execute()
      const stuck = (await stuckOf(t, tree.id)).find((s) => s.kind === 'converge_waiting')
      expect(stuck).toMatchObject({
        node_id: converge.id,
        action: { name: 'task_redispatch', instance_id: tree.id },
      })
      const answer = await unblock(t, stuck!)
      expect(answer.body.data.joined).toEqual([expect.objectContaining({ node_id: converge.id })])
      await t.settle()
      expect(await rootState(t, tree.id)).toBe('FINISHED')
    })

    it('finds a process sitting on a failed node, and one left on a finished node', async () => {
      const failing = act('fail_ctrl_node', { bit: 0 })
      const failed = sequence(failing)
      ok(await t.post('/api/pipeline_engine/start_pipeline', { pipeline: failed }))
      await t.settle()
      const [terminal] = await stuckOf(t, failed.id)
      expect(terminal).toMatchObject({
        kind: 'terminal_node',
        node_id: failing.id,
        engine_type: 'pipeline_engine',
        action: { name: 'node_retry', engine_type: 'pipeline_engine', instance_id: failing.id },
      })
      await unblock(t, terminal!, { inputs: { bit: 1 } })
      await t.settle()
      expect(await rootState(t, failed.id)).toBe('FINISHED')
      expect(await stuckOf(t, failed.id)).toEqual([])

      // A process that never moves past a finished node: the engine moves on in the same step,
      // so the node is marked FINISHED directly in the store's table, its wait ended.
      const waiting = act('callback_node')
      const left = sequence(waiting)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: left }))
      await t.settle()
      await endWaitInStore(t, waiting.id)
      expect(await stuckOf(t, left.id)).toEqual([])
      await t.clock.advance(2 * 60 * 1000)
      // Asleep there, it records nowhere where it goes on: only revoking ends the run.
      const [sitting] = await stuckOf(t, left.id)
      expect(sitting).toMatchObject({
        kind: 'terminal_node',
        node_id: waiting.id,
        action: { name: 'task_revoke', instance_id: left.id },
      })
      // Awake there, it was sent to run the node again (a loop) and its dispatch was lost.
      await t.store.db
        .updateTable('culm_processes')
        .set({ asleep: 0 })
        .where('root_pipeline_id', '=', left.id)
        .execute()
      const [awake] = await stuckOf(t, left.id)
      expect(awake).toMatchObject({
        kind: 'terminal_node',
        action: { name: 'task_redispatch', instance_id: left.id },
      })
      await unblock(t, awake!)
      await t.settle()
      const node = ok(await t.request('GET', `/api/runs/${left.id}/nodes/${waiting.id}`)).body
      expect(node).toMatchObject({ state: 'RUNNING', loop: 2 })
      expect(await stuckOf(t, left.id)).toEqual([])
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/task_revoke/${left.id}`, {}))
    })

    it('finds a run with nothing running, scheduled or paused; revoking ends it; a paused run is not stuck', async () => {
      const waiting = act('callback_node')
      const tree = sequence(waiting)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      // A run whose last process ended without finishing it: the engine does not leave one, so
      // the process is marked dead and the node's wait ended directly in the store's tables.
      await t.store.db
        .updateTable('culm_processes')
        .set({ dead: 1 })
        .where('root_pipeline_id', '=', tree.id)
        .execute()
      await endWaitInStore(t, waiting.id)
      expect(await stuckOf(t, tree.id)).toEqual([])
      await t.clock.advance(2 * 3600 * 1000)
      const [idle] = await stuckOf(t, tree.id)
      expect(idle).toMatchObject({
        kind: 'idle_run',
        node_id: null,
        action: { name: 'task_revoke', instance_id: tree.id },
      })
      expect(idle!.detail).toContain('2 h')
      expect(await stuckOf(t, tree.id, '?kind=long_running_node')).toEqual([])
      expect(await stuckOf(t, tree.id, '?kind=idle_run')).toHaveLength(1)
      await unblock(t, idle!)
      expect(await stuckOf(t, tree.id, '?running_longer_than=0')).toEqual([])

      // A paused run and a run waiting for a callback are not stuck, however old.
      const paused = sequence(act('debug_node'), act('callback_node'))
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: paused }))
      await t.settle()
      await t.clock.advance(2 * 3600 * 1000)
      const callbackWait = await stuckOf(t, paused.id, '?kind=idle_run')
      expect(callbackWait).toEqual([])
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/task_pause/${paused.id}`, {}))
      await t.clock.advance(2 * 3600 * 1000)
      expect(await stuckOf(t, paused.id, '?running_longer_than=0')).toEqual([])
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/task_revoke/${paused.id}`, {}))
    })

    it("shows a user only their runs' stuck entries, and refuses malformed parameters", async () => {
      const user = ok(await t.post('/api/users', { name: `carol-${database}` }), 201).body
      const failing = act('fail_ctrl_node', { bit: 0 })
      const tree = sequence(failing)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      expect(await stuckOf(t, tree.id)).toHaveLength(1)
      expect(await stuckOf(t, tree.id, '', user.token)).toEqual([])
      const page = ok(await t.request('GET', '/api/stuck?per_page=1&running_longer_than=0')).body
      expect(page.data).toHaveLength(1)
      expect(page.total).toBeGreaterThanOrEqual(1)
      for (const query of [
        'running_longer_than=-1',
        'running_longer_than=1h',
        'kind=stuck',
        'per_page=0',
        'page=x',
      ]) {
        const answer = await t.request('GET', `/api/stuck?${query}`)
        expect(answer.status, query).toBe(400)
        expect(answer.body.message).toContain(query.split('=')[0])
      }
      expect((await t.request('GET', '/api/stuck', { token: null })).status).toBe(401)
      ok(await t.post(`/engine-admin/api/v1/bamboo_engine/task_revoke/${tree.id}`, {}))
    })
  })
}
