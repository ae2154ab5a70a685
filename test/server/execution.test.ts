import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, sequence } from './trees.js'

/**
 * Components run outside any database transaction: while a sandboxed component spends seconds in
 * its execute, the server answers, other pipelines run, and the node is RUNNING and controllable.
 * These suites run on the machine's clock: the component really waits.
 */
for (const database of DATABASES) {
  describe(`a slow component on ${database}`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database, { realClock: true })
    })
    afterAll(async () => {
      await t?.close()
    })

    const call = (fn: string, body: unknown) => t.post(`/api/bamboo/${fn}`, body)
    async function nodeState(rootId: string, nodeId: string) {
      const answer = await call('get_pipeline_states', { root_id: rootId })
      return answer.body.data[rootId]?.children[nodeId] as
        | { state: string; started_time: string | null; version: string }
        | undefined
    }
    /** Starts `start -> dummy_exec_node(time) -> debug_node -> end`; answers once it runs. */
    async function startSlow(seconds: number) {
      const slow = act('dummy_exec_node', { time: seconds })
      const next = act('debug_node')
      const tree = sequence(slow, next)
      const started = await call('run_pipeline', { pipeline: tree })
      expect(started.body).toMatchObject({ result: true })
      for (let i = 0; i < 200 && (await nodeState(tree.id!, slow.id))?.state !== 'RUNNING'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return { id: tree.id!, slow: slow.id, next: next.id, start: tree.start_event.id }
    }

    it('serves, runs other pipelines and shows the node RUNNING while the component runs', async () => {
      const { id, slow, next, start } = await startSlow(2)
      const running = await nodeState(id, slow)
      expect(running).toMatchObject({ state: 'RUNNING' })
      expect(running!.started_time).toMatch(/^\d{4}-/)
      expect((await nodeState(id, start))?.state).toBe('FINISHED')

      expect(await t.request('GET', '/healthz')).toMatchObject({ status: 200 })
      const other = sequence(act('debug_node'))
      expect((await call('run_pipeline', { pipeline: other })).body.result).toBe(true)
      for (let i = 0; i < 200; i++) {
        const states = await call('get_pipeline_states', { root_id: other.id })
        if (states.body.data[other.id!]?.state === 'FINISHED') break
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(
        (await call('get_pipeline_states', { root_id: other.id })).body.data[other.id!].state,
      ).toBe('FINISHED')
      // All of that happened while the slow node still ran.
      expect((await nodeState(id, slow))?.state).toBe('RUNNING')
      const data = await call('get_execution_data', { node_id: slow })
      expect(data.status).toBe(200)

      if (database === 'mysql') {
        const open = await sql<{ age: number }>`
          select timestampdiff(microsecond, trx_started, now(6)) / 1000000 as age
          from information_schema.innodb_trx`.execute(t.store.db)
        expect(open.rows.filter((row) => Number(row.age) > 1)).toEqual([])
      }

      await t.settle()
      expect((await nodeState(id, slow))?.state).toBe('FINISHED')
      expect((await nodeState(id, next))?.state).toBe('FINISHED')
    })

    it('force-fails the node while its component runs and never writes the late answer', async () => {
      const { id, slow, next } = await startSlow(2)
      const failed = await call('forced_fail_activity', { node_id: slow, ex_data: 'operator' })
      expect(failed.body).toMatchObject({ result: true })
      expect((await nodeState(id, slow))?.state).toBe('FAILED')
      await t.settle()
      expect((await nodeState(id, slow))?.state).toBe('FAILED')
      expect(await nodeState(id, next)).toBeUndefined()
      const outputs = await call('get_execution_data_outputs', { node_id: slow })
      expect(outputs.body.data).toMatchObject({ ex_data: 'operator', _forced_failed: true })
    })

    it('revokes at once while the component runs; nothing after the node runs', async () => {
      const { id, next } = await startSlow(2)
      expect((await call('revoke_pipeline', { pipeline_id: id })).body).toMatchObject({
        result: true,
      })
      await t.settle()
      const root = (await call('get_pipeline_states', { root_id: id })).body.data[id]
      expect(root.state).toBe('REVOKED')
      expect(root.children[next]).toBeUndefined()
    })
  })
}
