import { buildTree, EmptyEndEvent, EmptyStartEvent, type EngineTree, SubProcess } from '@culm/tree'
import { expect } from 'vitest'
import type { Answer } from './harness.js'
import { act, parallel, sequence } from './trees.js'

/** POSTs a JSON body to the server as an admin. */
export type AdminPost = (path: string, body: Record<string, unknown>) => Promise<Answer>

/** A small seeded generator, so that a failing run can be replayed with its seed. */
export function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed of this run: `CULM_CHAOS_SEED`, else a new one (printed by the suites). */
export function chaosSeed(): number {
  return Number(process.env.CULM_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31))
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
export function chaosTree(i: number): EngineTree {
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

/**
 * Pipelines under random control calls, as operators and outside systems make them, then
 * driven to their end as an operator would; records every 5xx and how each function answered.
 */
export class Chaos {
  readonly ids: string[] = []
  /** Calls answered with a 5xx: each is a bug. */
  readonly failures: string[] = []
  /** How each function answered: `name status` → count. */
  readonly answered = new Map<string, number>()
  readonly #post: AdminPost
  readonly #random: () => number

  constructor(post: AdminPost, seed: number) {
    this.#post = post
    this.#random = generator(seed)
  }

  #pick<T>(items: T[]): T {
    return items[Math.floor(this.#random() * items.length)]!
  }

  /** Calls a bamboo function; a 5xx is recorded, any 4xx is an answer like another. */
  call(name: string, body: Record<string, unknown>): Promise<Answer> {
    return this.#send(name, `/api/bamboo/${name}`, body)
  }

  /**
   * Asks engine admin to dispatch a pipeline's stalled work again. While the server runs, every
   * process has a step under way, a schedule due or a wait for an outside call, so a run it
   * finds something to send on is recorded: that process would have stalled.
   */
  async redispatch(id: string): Promise<void> {
    const answer = await this.#send(
      'task_redispatch',
      `/engine-admin/api/v1/bamboo_engine/task_redispatch/${id}`,
      {},
    )
    if (answer.status === 200) {
      this.failures.push(
        `task_redispatch ${id} found work to send on: ${JSON.stringify(answer.body)}`,
      )
    }
  }

  async #send(name: string, path: string, body: Record<string, unknown>): Promise<Answer> {
    const answer = await this.#post(path, body)
    const key = `${name} ${answer.status}`
    this.answered.set(key, (this.answered.get(key) ?? 0) + 1)
    if (answer.status >= 500) {
      this.failures.push(
        `${name} ${JSON.stringify(body)}: ${answer.status} ${JSON.stringify(answer.body)}`,
      )
    }
    return answer
  }

  async #root(id: string): Promise<StateNode | undefined> {
    const answer = await this.call('get_pipeline_states', { root_id: id })
    return answer.body?.result ? (answer.body.data[id] as StateNode) : undefined
  }

  /** Starts `count` pipelines of every kind; answers whether each was accepted. */
  async start(count: number): Promise<boolean> {
    for (let i = 0; i < count; i++) {
      const tree = chaosTree(i)
      const started = await this.call('run_pipeline', { pipeline: tree })
      if (started.body?.result !== true) return false
      this.ids.push(tree.id)
    }
    return true
  }

  /** `callers` callers make random control calls for `ms`. */
  async disturb(ms: number, callers: number): Promise<void> {
    const until = Date.now() + ms
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (Date.now() < until) await this.#disturbOnce()
      }),
    )
  }

  async #disturbOnce(): Promise<void> {
    const random = this.#random
    const id = this.#pick(this.ids)
    const tree = await this.#root(id)
    if (!tree) return
    const nodes = flatten(tree).filter((node) => node.id !== id)
    const roll = random()
    if (roll < 0.12) await this.call('pause_pipeline', { pipeline_id: id })
    else if (roll < 0.26) await this.call('resume_pipeline', { pipeline_id: id })
    else if (roll < 0.28) await this.call('revoke_pipeline', { pipeline_id: id })
    else if (roll < 0.36) await this.redispatch(id)
    else {
      const running = nodes.filter((node) => node.state === 'RUNNING' && isLeaf(node))
      const failed = nodes.filter((node) => node.state === 'FAILED')
      if (running.length > 0 && random() < 0.6) {
        const node = this.#pick(running)
        if (random() < 0.8) {
          // Callbacks at once, as a flaky outside system sends them.
          await Promise.all(
            Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
              this.call('callback', { node_id: node.id, version: node.version, data: { bit: 1 } }),
            ),
          )
        } else {
          await this.call('forced_fail_activity', { node_id: node.id, ex_data: 'operator' })
        }
      } else if (failed.length > 0) {
        const node = this.#pick(failed)
        if (random() < 0.5) await this.call('skip_node', { node_id: node.id })
        else await this.call('retry_node', { node_id: node.id })
      }
    }
  }

  /**
   * As an operator would: resumes what is paused, skips what failed and calls back what waits,
   * until every pipeline has ended or `ms` have passed.
   */
  async driveToEnd(ms: number): Promise<void> {
    const deadline = Date.now() + ms
    let open = this.ids
    while (open.length > 0 && Date.now() < deadline) {
      const still: string[] = []
      for (const id of open) {
        const tree = await this.#root(id)
        if (!tree || tree.state === 'FINISHED' || tree.state === 'REVOKED') continue
        still.push(id)
        const nodes = flatten(tree)
        if (nodes.some((node) => node.state === 'SUSPENDED'))
          await this.call('resume_pipeline', { pipeline_id: id })
        for (const node of nodes) {
          if (node.id === id) continue
          if (node.state === 'FAILED') await this.call('skip_node', { node_id: node.id })
          if (node.state === 'RUNNING' && isLeaf(node)) {
            await this.call('callback', {
              node_id: node.id,
              version: node.version,
              data: { bit: 1 },
            })
          }
        }
      }
      open = still
      if (open.length > 0) await sleep(200)
    }
  }

  /**
   * How the pipelines ended, and what is wrong: a pipeline neither FINISHED nor REVOKED, or a
   * FINISHED one with a node that is not.
   */
  async outcome(): Promise<{ ends: Record<string, number>; problems: string[] }> {
    const ends: Record<string, number> = {}
    const problems: string[] = []
    for (const id of this.ids) {
      const tree = await this.#root(id)
      const state = tree?.state ?? 'missing'
      ends[state] = (ends[state] ?? 0) + 1
      if (!tree) continue
      const nodes = flatten(tree)
      if (state === 'FINISHED') {
        const unfinished = nodes.filter((node) => node.state !== 'FINISHED')
        if (unfinished.length > 0)
          problems.push(`${id} FINISHED with ${unfinished.map((n) => `${n.id} ${n.state}`)}`)
      } else if (state !== 'REVOKED') {
        problems.push(`${id} ${state}: ${nodes.map((n) => `${n.id} ${n.state}`).join(', ')}`)
      }
    }
    return { ends, problems }
  }

  /** One line on how the run went: its ends and the control calls' answers. */
  summary(ends: Record<string, number>): string {
    const calls = [...this.answered].filter(([key]) => !key.startsWith('get_pipeline_states'))
    return `ends ${JSON.stringify(ends)}; ${calls.map(([key, n]) => `${key}×${n}`).join(', ')}`
  }

  /**
   * Prints how the run of `seed` went (`label`) and expects no 5xx and every pipeline ended,
   * FINISHED (every node finished) or REVOKED.
   */
  async expectAllEnded(label: string, seed: number): Promise<void> {
    const { ends, problems } = await this.outcome()
    console.log(`${label}, seed ${seed}: ${this.summary(ends)}`)
    expect({ seed, failures: this.failures, problems }).toEqual({
      seed,
      failures: [],
      problems: [],
    })
    expect((ends.FINISHED ?? 0) + (ends.REVOKED ?? 0)).toBe(this.ids.length)
  }
}
