import { BAMBOO_FUNCTIONS, LEGACY_FUNCTIONS } from '@culm/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTaskServer, type TaskServer } from '../server/tasks-kit.js'
import { act, sequence } from '../server/trees.js'

/** A plausible value for each body field the bamboo and legacy functions take. */
function bodyFor(fields: string[], pipelineId: string, nodeId: string): Record<string, unknown> {
  const values: Record<string, unknown> = {
    pipeline_id: pipelineId,
    root_id: pipelineId,
    node_id: nodeId,
    activity_id: nodeId,
    node_ids: [nodeId],
    version: 'vnothing',
    data: {},
    callback_data: {},
    flow_id: 'fnothing',
    flow_ids: ['fnothing'],
    converge_gateway_id: 'gnothing',
    context_values: {},
    loop: 1,
    ex_data: 'grid',
    inputs: {},
    max_depth: 1,
  }
  const body: Record<string, unknown> = {}
  for (const field of fields) if (field in values) body[field] = values[field]
  return body
}

function fieldsOf(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape
  return shape ? Object.keys(shape) : []
}

/** Every bamboo and legacy function that names a stored pipeline or node, with its body. */
function calls(pipelineId: string, nodeId: string) {
  const bamboo = BAMBOO_FUNCTIONS.filter(
    (fn) => fn.kind !== 'start' && fn.name !== 'preview_node_inputs',
  ).map((fn) => ({
    path: `/api/bamboo/${fn.name}`,
    body: bodyFor(fieldsOf(fn.body), pipelineId, nodeId),
  }))
  const legacy = LEGACY_FUNCTIONS.filter((fn) => fn.name !== 'start_pipeline').map((fn) => ({
    path: `/api/pipeline_engine/${fn.name}`,
    body: bodyFor(fieldsOf(fn.body), pipelineId, nodeId),
  }))
  return [...bamboo, ...legacy]
}

describe('object-level authorization of the bamboo and legacy APIs on MySQL', () => {
  let t: TaskServer
  let carol: string
  let taskPipeline = ''
  let taskNode = ''
  let taskPath = ''
  let ownPipeline = ''
  let ownNode = ''

  beforeAll(async () => {
    t = await startTaskServer('mysql')
    carol = (await t.post('/api/users', { name: 'carol' })).body.token
    const created = await t.gw('POST', `/apigw/fast_create_task/${t.projectA.bk_biz_id}/`, {
      name: 'authorization grid',
      pipeline_tree: sequence(act('callback_node'), act('debug_node')),
    })
    expect(created.status).toBe(200)
    taskPath = `${created.body.data.task_id}/${t.projectA.bk_biz_id}`
    expect((await t.gw('POST', `/apigw/start_task/${taskPath}/`)).status).toBe(200)
    await t.settle()
    const status = (await t.gw('GET', `/apigw/get_task_status/${taskPath}/`)).body.data
    taskPipeline = status.id
    taskNode = Object.keys(status.children)[1]!
    const own = sequence(act('callback_node'))
    const started = await t.post('/api/bamboo/run_pipeline', { pipeline: own }, t.bob.token)
    expect(started.status).toBe(200)
    ownPipeline = own.id!
    ownNode = Object.keys(own.activities)[0]!
    await t.settle()
  }, 60_000)
  afterAll(async () => {
    await t?.close()
  })

  it("refuses every function on a task's pipeline to users outside its project", async () => {
    const grid = calls(taskPipeline, taskNode)
    expect(grid.length).toBeGreaterThanOrEqual(30)
    for (const { path, body } of grid) {
      for (const [who, token] of [
        ['bob (other project)', t.bob.token],
        ['carol (no project)', carol],
      ] as const) {
        const answer = await t.post(path, body, token)
        expect(answer.status, `${who} ${path}`).toBe(403)
        expect(answer.body.message, `${who} ${path}`).toMatch(/you may not read or control/)
      }
      for (const [who, token] of [
        ['alice (member)', t.alice.token],
        ['admin', t.token],
      ] as const) {
        const answer = await t.post(path, body, token)
        expect(answer.status, `${who} ${path}`).not.toBe(403)
        expect([200, 400, 404, 409], `${who} ${path} ${JSON.stringify(answer.body)}`).toContain(
          answer.status,
        )
      }
    }
  }, 120_000)

  it('gives a pipeline started directly to its starter and admins only', async () => {
    for (const { path, body } of calls(ownPipeline, ownNode)) {
      for (const token of [t.alice.token, carol]) {
        expect((await t.post(path, body, token)).status, path).toBe(403)
      }
      for (const token of [t.bob.token, t.token]) {
        expect((await t.post(path, body, token)).status, path).not.toBe(403)
      }
    }
  }, 120_000)

  it("writes every control call on a task's pipeline into the task's operation log", async () => {
    const project = t.projectA.id
    const taskId = Number(taskPath.split('/')[0])
    const log = await t.request(
      'GET',
      `/api/projects/${project}/operations?task_id=${taskId}&limit=200`,
    )
    expect(log.status).toBe(200)
    const operations = (log.body.data as Array<{ operation: string; operator: string }>).map(
      (entry) => `${entry.operation} ${entry.operator}`,
    )
    expect(operations).toContain('bamboo_engine.pause_pipeline alice')
    expect(operations).toContain('pipeline_engine.forced_fail alice')
    expect(operations).toContain('bamboo_engine.revoke_pipeline admin')
    expect(operations.some((entry) => entry.startsWith('bamboo_engine.get_'))).toBe(false)
  })
})
