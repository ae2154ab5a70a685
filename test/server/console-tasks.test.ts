import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }
import { type Answer, DATABASES } from './harness.js'
import { startTaskServer, type TaskServer } from './tasks-kit.js'
import { act, sequence } from './trees.js'

function ok(answer: Answer, status = 200): Answer {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  return answer
}

// biome-ignore lint/suspicious/noExplicitAny: trees are edited by field
type Tree = any

/** The seed's platform tree, a fresh copy. */
function platformTree(): Tree {
  return structuredClone(request.pipeline_tree)
}

/** The id of the first service activity of a platform tree. */
function firstActivity(tree: Tree): string {
  return Object.keys(tree.activities)[0]!
}

for (const database of DATABASES) {
  describe(`the console's tasks and tree validation on ${database}`, () => {
    let t: TaskServer

    beforeAll(async () => {
      t = await startTaskServer(database)
    })
    afterAll(async () => {
      await t?.close()
    })

    it('lists the task categories', async () => {
      const categories = ok(
        await t.request('GET', '/api/task_categories', { token: t.bob.token }),
      ).body
      expect(categories.total).toBe(7)
      expect(categories.data).toContainEqual({ id: 'OpsTools', name: 'Operations tools' })
    })

    it('validates a tree and locates each problem at its node', async () => {
      const validate = async (pipeline_tree: unknown, format?: string) =>
        ok(
          await t.post(
            '/api/trees/validate',
            { pipeline_tree, ...(format ? { format } : {}) },
            t.alice.token,
          ),
        ).body
      const good = await validate(platformTree())
      expect(good.valid).toBe(true)
      expect(good.problems.filter((p: { severity: string }) => p.severity === 'error')).toEqual([])

      const broken = platformTree()
      const node = firstActivity(broken)
      broken.activities[node].component.code = 'no_such_component'
      const answer = await validate(broken)
      expect(answer.valid).toBe(false)
      expect(answer.problems).toContainEqual(
        expect.objectContaining({
          node_id: node,
          path: `activities.${node}`,
          severity: 'error',
          message: expect.stringContaining('no_such_component'),
        }),
      )

      const unlinked = platformTree()
      const flow = Object.keys(unlinked.flows)[0]!
      unlinked.flows[flow].target = 'nnothere'
      const flowProblem = await validate(unlinked)
      expect(flowProblem.valid).toBe(false)
      expect(flowProblem.problems.some((p: { path: string }) => p.path !== '')).toBe(true)

      const notATree = await validate([1, 2])
      expect(notATree).toMatchObject({
        valid: false,
        problems: [{ node_id: null, severity: 'error', code: 'NOT_AN_OBJECT' }],
      })

      const bamboo = sequence(act('debug_node'))
      expect((await validate(bamboo, 'bamboo')).problems).toEqual([])
      const asPlatform = await validate(bamboo, 'platform')
      expect(asPlatform.valid).toBe(true)
      expect(asPlatform.problems).toEqual([
        expect.objectContaining({ code: 'FORMAT', severity: 'warning' }),
      ])
    })

    it('creates a task from a tree for a member, starts it, and its run is the task’s', async () => {
      const created = ok(
        await t.post(
          `/api/projects/${t.projectA.id}/tasks`,
          { name: 'from the console', category: 'OpsTools', pipeline_tree: platformTree() },
          t.alice.token,
        ),
        201,
      ).body
      expect(created).toMatchObject({
        project_id: t.projectA.id,
        name: 'from the console',
        category: 'OpsTools',
        flow_type: 'common',
        engine_type: 'bamboo_engine',
        state: 'CREATED',
      })
      expect(created.run_id).toMatch(/^p/)
      expect((await t.request('GET', `/api/runs/${created.run_id}`)).status).toBe(404)
      const started = ok(
        await t.post(`/api/projects/${t.projectA.id}/tasks/${created.id}/start`, {}, t.alice.token),
      ).body
      expect(started).toEqual({ id: created.id, run_id: created.run_id, started: true })
      await t.settle()
      const run = ok(
        await t.request('GET', `/api/runs/${created.run_id}`, { token: t.alice.token }),
      ).body
      expect(run).toMatchObject({
        task_id: created.id,
        task_name: 'from the console',
        project_id: t.projectA.id,
        creator: 'alice',
        state: 'RUNNING',
      })
      const byTask = ok(await t.request('GET', `/api/runs?task_id=${created.id}`)).body
      expect(byTask.data.map((r: { id: string }) => r.id)).toEqual([created.run_id])
      const again = await t.post(
        `/api/projects/${t.projectA.id}/tasks/${created.id}/start`,
        {},
        t.alice.token,
      )
      expect(again.status).toBe(409)
      const log = ok(
        await t.request('GET', `/api/operations?task_id=${created.id}&order=asc`, {
          token: t.alice.token,
        }),
      ).body
      expect(log.data.map((o: { operation: string; app_code: string }) => o.operation)).toEqual([
        'create',
        'start',
      ])
      expect(log.data[0]).toMatchObject({ operator: 'alice', app_code: '' })
      const listed = ok(
        await t.request('GET', `/api/projects/${t.projectA.id}/tasks?name=console`, {
          token: t.alice.token,
        }),
      ).body
      expect(listed.data.map((task: { id: number }) => task.id)).toEqual([created.id])
      expect(listed.data[0].run_id).toBe(created.run_id)
      const unstarted = ok(
        await t.post(`/api/projects/${t.projectA.id}/tasks`, {
          name: 'not started',
          pipeline_tree: platformTree(),
        }),
        201,
      ).body
      const both = ok(
        await t.request('GET', `/api/projects/${t.projectA.id}/tasks?name=start`),
      ).body
      expect(both.data.find((task: { id: number }) => task.id === unstarted.id).run_id).toBeNull()
    })

    it('refuses a non-member, an unknown project or task, and an invalid tree naming its problems', async () => {
      const body = { name: 'x', pipeline_tree: platformTree() }
      expect((await t.post(`/api/projects/${t.projectA.id}/tasks`, body, t.bob.token)).status).toBe(
        403,
      )
      expect((await t.post('/api/projects/999999/tasks', body)).status).toBe(404)
      expect((await t.post(`/api/projects/${t.projectA.id}/tasks/999999/start`, {})).status).toBe(
        404,
      )
      const created = ok(await t.post(`/api/projects/${t.projectA.id}/tasks`, body), 201).body
      expect(
        (await t.post(`/api/projects/${t.projectB.id}/tasks/${created.id}/start`, {})).status,
      ).toBe(404)
      expect(
        (await t.post(`/api/projects/${t.projectA.id}/tasks/${created.id}/start`, {}, t.bob.token))
          .status,
      ).toBe(403)
      const broken = platformTree()
      const node = firstActivity(broken)
      broken.activities[node].component.code = 'no_such_component'
      const refused = await t.post(`/api/projects/${t.projectA.id}/tasks`, {
        name: 'broken',
        pipeline_tree: broken,
      })
      expect(refused.status).toBe(400)
      expect(refused.body.code).toBe('VALIDATION')
      expect(JSON.stringify(refused.body.issues)).toContain('no_such_component')
    })

    it('answers malformed task and validation requests with a 400 naming the field', async () => {
      const cases: Array<[string, unknown, string]> = [
        [`/api/projects/${t.projectA.id}/tasks`, { pipeline_tree: platformTree() }, 'name'],
        [`/api/projects/${t.projectA.id}/tasks`, { name: 'x' }, 'pipeline_tree'],
        [`/api/projects/${t.projectA.id}/tasks`, { name: 'x', pipeline_tree: [] }, 'pipeline_tree'],
        [`/api/projects/${t.projectA.id}/tasks`, { name: '  ', pipeline_tree: {} }, 'name'],
        [
          `/api/projects/${t.projectA.id}/tasks`,
          { name: 'x', category: 'Nope', pipeline_tree: {} },
          'category',
        ],
        [
          `/api/projects/${t.projectA.id}/tasks`,
          { name: 'x', engine_type: 'x', pipeline_tree: {} },
          'engine_type',
        ],
        [
          `/api/projects/${t.projectA.id}/tasks`,
          { name: 'x', pipeline_tree: {}, extra: 1 },
          'extra',
        ],
        ['/api/projects/0/tasks', { name: 'x', pipeline_tree: {} }, 'id'],
        ['/api/projects/abc/tasks/1/start', {}, 'id'],
        [`/api/projects/${t.projectA.id}/tasks/0/start`, {}, 'task_id'],
        ['/api/trees/validate', {}, 'pipeline_tree'],
        ['/api/trees/validate', { pipeline_tree: {}, format: 'yaml' }, 'format'],
        ['/api/trees/validate', { pipeline_tree: {}, other: 1 }, 'other'],
        ['/api/trees/validate', 'not json', 'body'],
      ]
      for (const [path, body, field] of cases) {
        const answer = await t.post(path, body)
        expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400)
        expect(answer.body.message, path).toContain(field)
      }
      const empty = await t.post(`/api/projects/${t.projectA.id}/tasks`, {
        name: 'x',
        pipeline_tree: {},
      })
      expect(empty.status).toBe(400)
    })
  })
}
