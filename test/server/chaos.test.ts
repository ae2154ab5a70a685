import { buildTree, EmptyEndEvent, EmptyStartEvent, type EngineTree, SubProcess } from '@culm/tree'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Answer, DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, parallel, sequence } from './trees.js'

/** How many pipelines run at once, and how long control calls rain on them. */
const PIPELINES = 30
const CHAOS_MS = 3000
const CALLERS = 4
/** How long driving every pipeline to its end may take. */
const DRIVE_MS = 60_000

/** A small seeded generator, so that a failing run can be replayed with its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `start -> debug -> subprocess(slow -> callback or failing) -> multi-callback -> end` */
function withSubprocess(callback: boolean): EngineTree {
  const innerStart = new EmptyStartEvent()
  innerStart
    .extend(act('dummy_exec_node', { time: 0.3 }))
    .extend(act(callback ? 'callback_node' : 'fail_ctrl_node', { bit: 0 }))
    .extend(new EmptyEndEvent())
  const start = new EmptyStartEvent()
  start
    .extend(act('debug_node'))
    .extend(new SubProcess({ start: innerStart }))
    .extend(act('multi_callback_node'))
    .extend(new EmptyEndEvent())
  return buildTree(start)
}

/** Trees of every kind that waits: slow components, callbacks, failures, a subprocess. */
function treeOf(i: number): EngineTree {
  switch (i % 6) {
    case 0:
      return parallel([0.2, 0.5, 0.8].map((time) => act('dummy_exec_node', { time }))).tree
    case 1:
      return sequence(
        act('dummy_exec_node', { time: 0.5 }),
        act('callback_node'),
        act('debug_node'),
      )
    case 2:
      return sequence(act('multi_callback_node'), act('dummy_exec_node', { time: 0.3 }))
    case 3:
      return sequence(act('debug_node'), act('fail_ctrl_node', { bit: 0 }), act('debug_node'))
    case 4:
      return parallel([
        act('callback_node'),
        act('dummy_exec_node', { time: 0.6 }),
        act('fail_ctrl_node', { bit: 0 }),
      ]).tree
    default:
      return withSubprocess(i % 2 === 1)
  }
}

interface StateNode {
  id: string
  state: string
  version: string
  children: Record<string, StateNode>
}

function flatten(node: StateNode, into: StateNode[] = []): StateNode[] {
  into.push(node)
  for (const child of Object.values(node.children ?? {})) flatten(child, into)
  return into
}

const isLeaf = (node: StateNode) => Object.keys(node.children ?? {}).length === 0
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const database of DATABASES) {
  describe(`control calls at random on ${database}, while slow components run`, () => {
    let t: TestServer
    const seed = Number(process.env.CULM_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))
    const random = generator(seed)
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!
    const failures: string[] = []
    /** How each function answered: `name status` → count. */
    const answered = new Map<string, number>()

    beforeAll(async () => {
      t = await startTestServer(database, { realClock: true })
    })
    afterAll(async () => {
      await t?.close()
    })

    /** Calls a bamboo function; a 5xx is recorded (the test fails on it), any 4xx is fine. */
    async function call(name: string, body: Record<string, unknown>): Promise<Answer> {
      const answer = await t.post(`/api/bamboo/${name}`, body)
      const key = `${name} ${answer.status}`
      answered.set(key, (answered.get(key) ?? 0) + 1)
      if (answer.status >= 500) {
        failures.push(
          `${name} ${JSON.stringify(body)}: ${answer.status} ${JSON.stringify(answer.body)}`,
        )
      }
      return answer
    }

    async function root(id: string): Promise<StateNode | undefined> {
      const answer = await call('get_pipeline_states', { root_id: id })
      return answer.body?.result ? (answer.body.data[id] as StateNode) : undefined
    }

    /** One random control call on one random pipeline, as operators and callers make them. */
    async function disturb(ids: string[]): Promise<void> {
      const id = pick(ids)
      const tree = await root(id)
      if (!tree) return
      const nodes = flatten(tree).filter((node) => node.id !== id)
      const roll = random()
      if (roll < 0.12) await call('pause_pipeline', { pipeline_id: id })
      else if (roll < 0.26) await call('resume_pipeline', { pipeline_id: id })
      else if (roll < 0.28) await call('revoke_pipeline', { pipeline_id: id })
      else {
        const running = nodes.filter((node) => node.state === 'RUNNING' && isLeaf(node))
        const failed = nodes.filter((node) => node.state === 'FAILED')
        if (running.length > 0 && random() < 0.6) {
          const node = pick(running)
          if (random() < 0.8) {
            // Callbacks at once, as a flaky outside system sends them.
            await Promise.all(
              Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
                call('callback', { node_id: node.id, version: node.version, data: { bit: 1 } }),
              ),
            )
          } else {
            await call('forced_fail_activity', { node_id: node.id, ex_data: 'operator' })
          }
        } else if (failed.length > 0) {
          const node = pick(failed)
          if (random() < 0.5) await call('skip_node', { node_id: node.id })
          else await call('retry_node', { node_id: node.id })
        }
      }
    }

    it('ends every pipeline, FINISHED or REVOKED, with no 5xx and no node left behind', async () => {
      const ids: string[] = []
      for (let i = 0; i < PIPELINES; i++) {
        const tree = treeOf(i)
        const started = await call('run_pipeline', { pipeline: tree })
        expect(started.body, `seed ${seed}`).toMatchObject({ result: true })
        ids.push(tree.id)
      }
      const until = Date.now() + CHAOS_MS
      await Promise.all(
        Array.from({ length: CALLERS }, async () => {
          while (Date.now() < until) await disturb(ids)
        }),
      )

      // Then, as an operator would: resume what is paused, skip what failed, call back what
      // waits, until every pipeline has ended.
      const deadline = Date.now() + DRIVE_MS
      let open = ids
      while (open.length > 0 && Date.now() < deadline) {
        const still: string[] = []
        for (const id of open) {
          const tree = await root(id)
          if (!tree || tree.state === 'FINISHED' || tree.state === 'REVOKED') continue
          still.push(id)
          const nodes = flatten(tree)
          if (nodes.some((node) => node.state === 'SUSPENDED'))
            await call('resume_pipeline', { pipeline_id: id })
          for (const node of nodes) {
            if (node.id === id) continue
            if (node.state === 'FAILED') await call('skip_node', { node_id: node.id })
            if (node.state === 'RUNNING' && isLeaf(node)) {
              await call('callback', { node_id: node.id, version: node.version, data: { bit: 1 } })
            }
          }
        }
        open = still
        if (open.length > 0) await sleep(200)
      }

      const ends: Record<string, number> = {}
      const problems: string[] = []
      for (const id of ids) {
        const tree = await root(id)
        const state = tree?.state ?? 'missing'
        ends[state] = (ends[state] ?? 0) + 1
        if (!tree) continue
        const nodes = flatten(tree)
        if (state === 'FINISHED') {
          // A finished pipeline has every node it reached finished (skipped nodes included).
          const unfinished = nodes.filter((node) => node.state !== 'FINISHED')
          if (unfinished.length > 0)
            problems.push(`${id} FINISHED with ${unfinished.map((n) => `${n.id} ${n.state}`)}`)
        } else if (state !== 'REVOKED') {
          problems.push(`${id} ${state}: ${nodes.map((n) => `${n.id} ${n.state}`).join(', ')}`)
        }
      }
      const calls = [...answered].filter(([key]) => !key.startsWith('get_pipeline_states'))
      console.log(
        `chaos on ${database}, seed ${seed}: ends ${JSON.stringify(ends)}; ` +
          calls.map(([key, n]) => `${key}×${n}`).join(', '),
      )
      expect({ seed, failures, problems }).toEqual({ seed, failures: [], problems: [] })
      expect(
        (ends.FINISHED ?? 0) + (ends.REVOKED ?? 0),
        `seed ${seed}: ${JSON.stringify(ends)}`,
      ).toBe(PIPELINES)
    }, 120_000)
  })
}
