import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pythonCorpus } from '../fixtures/python-builder.js'
import { DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, sequence } from './trees.js'

/** Trees as the Python builder writes them (null names included), on every surface that takes one. */
for (const database of DATABASES) {
  describe(`Python-built trees over HTTP on ${database}`, () => {
    let t: TestServer
    beforeAll(async () => {
      t = await startTestServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    async function rootState(id: string): Promise<string> {
      const answer = await t.post('/api/bamboo/get_pipeline_states', { root_id: id })
      return answer.body.data[id]?.state
    }

    it('runs each through run_pipeline and the legacy start_pipeline to FINISHED', async () => {
      for (const [shape, tree] of Object.entries(pythonCorpus())) {
        const answer = await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
        expect(answer.body, shape).toMatchObject({ result: true, data: { pipeline_id: tree.id } })
        await t.settle()
        expect(await rootState(tree.id!), shape).toBe('FINISHED')
      }
      for (const [shape, tree] of Object.entries(pythonCorpus())) {
        const answer = await t.post('/api/pipeline_engine/start_pipeline', { pipeline: tree })
        expect(answer.body, shape).toEqual({ result: true, message: 'success' })
        await t.settle()
        expect(await rootState(tree.id!), shape).toBe('FINISHED')
      }
    })

    it('shows the unnamed nodes of a Python-built tree in the legacy status tree', async () => {
      const tree = pythonCorpus().sequence!
      await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      await t.settle()
      const [act] = Object.keys(tree.activities)
      const answer = await t.post('/api/pipeline_engine/get_status_tree', {
        node_id: tree.id,
        max_depth: 1,
      })
      expect(answer.status).toBe(200)
      expect(answer.body.data.children[act!]).toMatchObject({ state: 'FINISHED' })
    })

    it('answers get_pipeline_debug_info', async () => {
      const tree = pythonCorpus().sequence!
      await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      await t.settle()
      const answer = await t.post('/api/bamboo/get_pipeline_debug_info', { pipeline_id: tree.id })
      expect(answer.status).toBe(200)
      expect(answer.body.data.processes).toEqual([
        expect.objectContaining({ root_pipeline_id: tree.id, dead: true }),
      ])
      const missing = await t.post('/api/bamboo/get_pipeline_debug_info', {
        pipeline_id: 'pnowhere',
      })
      expect(missing.status).toBe(404)
    })

    it('names the exception of a refused tree once in exc', async () => {
      const tree = pythonCorpus().sequence! as unknown as { start_event: { outgoing: string } }
      tree.start_event.outgoing = 'fnowhere'
      const answer = await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      expect(answer.status).toBe(400)
      expect(answer.body.exc).toMatch(/^TreeInvalidException: /)
      expect(answer.body.exc).not.toMatch(/^TreeInvalidException: TreeInvalidException/)
    })

    it('refuses a callback at a version the node is not at with 409, as a wrong state', async () => {
      const tree = sequence(act('callback_node'))
      await t.post('/api/bamboo/run_pipeline', { pipeline: tree })
      await t.settle()
      const [nodeId] = Object.keys(tree.activities)
      const answer = await t.post('/api/bamboo/callback', {
        node_id: nodeId,
        version: 'vnotthisone',
        data: { bit: 1 },
      })
      expect(answer.status).toBe(409)
      expect(answer.body).toMatchObject({
        result: false,
        exc: 'InvalidOperationError: node version vnotthisone not exist',
      })
    })
  })
}
