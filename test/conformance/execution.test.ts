import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryRuntime, type Runtime } from '@culm/engine'
import { openRuntime } from '@culm/store'
import { createScratchDatabase } from '@culm/store/testing'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { createHarness } from './harness.js'
import { startGated } from './scenarios/execution.js'
import { act, sequence } from './trees.js'

const folder = mkdtempSync(join(tmpdir(), 'culm-step-failure-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** A value nested too deeply for any JSON encoder. */
function tooDeep(): Record<string, unknown> {
  let deep: Record<string, unknown> = {}
  for (let i = 0; i < 200_000; i++) deep = { d: deep }
  return deep
}

async function failsItsNode(runtime: Runtime, outputs: Record<string, unknown>) {
  const h = createHarness(runtime)
  const { id, gate, after } = await startGated(h)
  h.gates.release(gate, { outputs })
  await h.settle()
  const states = await h.states(id)
  expect(states[gate]).toBe('FAILED')
  expect(states[after]).toBeUndefined()
  expect(states[id]).toBe('RUNNING')
  const answer = await h.engine.api.getExecutionDataOutputs({ nodeId: gate })
  expect(String((answer.data as Record<string, unknown>).ex_data)).toMatch(/^engine step failed: /)
  // The operator can go on from there: the node is retried like any failed node.
  h.ok(await h.engine.api.retryNode({ nodeId: gate }))
  await h.gates.started(gate, 2)
  h.gates.release(gate)
  await h.settle()
  expect((await h.states(id))[id]).toBe('FINISHED')
}

describe('a step that fails for a reason that is not a storage interruption fails its node', () => {
  it('on SQLite, when a component answers a value too deep to store', async () => {
    const store = await openRuntime(`sqlite:${join(folder, 'deep.db')}`)
    try {
      await failsItsNode(store.runtime, { deep: tooDeep() })
    } finally {
      await store.close()
    }
  })

  it('on MySQL, when a component answers a value too deep to store', async () => {
    const scratch = await createScratchDatabase()
    const store = await openRuntime(scratch.url)
    try {
      await failsItsNode(store.runtime, { deep: tooDeep() })
    } finally {
      await store.close()
      await scratch.drop()
    }
  })

  it('in memory, when the runtime refuses a write', async () => {
    const runtime = new MemoryRuntime()
    const refusing: Runtime = new Proxy(runtime, {
      get(target, key, receiver) {
        if (key === 'transaction') return (fn: (tx: Runtime) => Promise<unknown>) => fn(refusing)
        if (key === 'setExecutionData') {
          return async (nodeId: string, data: { outputs: Record<string, unknown> }) => {
            if (data.outputs.poison) throw new TypeError('this value cannot be stored')
            return target.setExecutionData(nodeId, data as never)
          }
        }
        const value = Reflect.get(target, key, receiver)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    await failsItsNode(refusing, { poison: true })
  })
})

describe('a worker that stops while a component runs', () => {
  for (const database of ['sqlite', 'mysql'] as const) {
    it(`leaves the node RUNNING on ${database}; the next worker runs the call again and goes on`, async () => {
      const scratch = database === 'mysql' ? await createScratchDatabase() : undefined
      const url = scratch?.url ?? `sqlite:${join(folder, 'restart.db')}`
      const first = await openRuntime(url)
      const h = createHarness(first.runtime)
      const { id, gate, after } = await startGated(h)
      expect((await h.state(gate))?.state).toBe('RUNNING')
      // The worker stops: its dispatcher and its running call are gone with it.
      h.dispatcher.close()
      await first.close()

      const second = await openRuntime(url)
      try {
        const next = createHarness(second.runtime)
        expect(await next.engine.recover()).toMatchObject({ processes: 1 })
        await next.gates.started(gate)
        next.gates.release(gate, { outputs: { rows: 2 } })
        await next.settle()
        const states = await next.states(id)
        expect(states).toMatchObject({ [gate]: 'FINISHED', [after]: 'FINISHED', [id]: 'FINISHED' })
        expect(await next.outputs(gate)).toMatchObject({ rows: 2 })
        expect(next.calls.filter((c) => c.nodeId === gate)).toHaveLength(1)
      } finally {
        await second.close()
        await scratch?.drop()
      }
    })
  }

  for (const database of ['sqlite', 'mysql'] as const) {
    it(`applies on ${database} the callback whose schedule call it cut short`, async () => {
      const scratch = database === 'mysql' ? await createScratchDatabase() : undefined
      const url = scratch?.url ?? `sqlite:${join(folder, 'restart-callback.db')}`
      const first = await openRuntime(url)
      const h = createHarness(first.runtime)
      const node = act('gate_callbacks', { hold: true })
      const after = act('debug_node')
      const id = await h.run(sequence(node, after), { keepIds: true })
      const { version } = (await h.state(node.id))!
      h.ok(await h.engine.api.callback({ nodeId: node.id, version, data: { n: 7 } }))
      await h.gates.started(node.id)
      await h.passFastCallBound()
      // The step that took the schedule's lock committed; the call still runs when the worker stops.
      const [schedule] = await first.runtime.findPendingSchedules()
      expect(schedule).toMatchObject({ nodeId: node.id, scheduling: true })
      h.dispatcher.close()
      await first.close()

      const second = await openRuntime(url)
      try {
        const next = createHarness(second.runtime)
        expect(await next.engine.recover()).toMatchObject({ schedules: 1 })
        await next.gates.started(node.id)
        expect(next.gates.callbackData(node.id)).toEqual({ n: 7 })
        next.gates.release(node.id, { finished: true, outputs: { applied: 7 } })
        await next.settle()
        expect(await next.states(id)).toMatchObject({
          [node.id]: 'FINISHED',
          [after.id]: 'FINISHED',
          [id]: 'FINISHED',
        })
        expect(await next.outputs(node.id)).toMatchObject({ applied: 7 })
        expect(await second.runtime.nextCallback(schedule!.id)).toBeUndefined()
      } finally {
        await second.close()
        await scratch?.drop()
      }
    })
  }
})

describe('a component answering within its fast bound', () => {
  for (const database of ['sqlite', 'mysql'] as const) {
    it(`runs with no transaction open on ${database}: other writers go on meanwhile`, async () => {
      const scratch = database === 'mysql' ? await createScratchDatabase() : undefined
      const store = await openRuntime(scratch?.url ?? `sqlite:${join(folder, 'fast-bound.db')}`)
      try {
        const h = createHarness(store.runtime)
        const gate = act('gate')
        const id = await h.start(sequence(gate, act('debug_node')), { keepIds: true })
        // The call runs and the clock stands still: the step waits inside its fast bound.
        await h.gates.started(gate.id)
        if (scratch) {
          const name = new URL(scratch.url).pathname.slice(1)
          const open = await sql<{ n: number }>`select count(*) as n
            from information_schema.innodb_trx t join information_schema.processlist p
            on p.id = t.trx_mysql_thread_id where p.db = ${name}`.execute(store.db)
          expect(Number(open.rows[0]!.n)).toBe(0)
        }
        // Another pipeline's write does not wait for the running step (on SQLite, one connection).
        const other = createHarness(store.runtime)
        const done = await other.run(sequence(act('debug_node')))
        expect((await other.states(done))[done]).toBe('FINISHED')
        h.gates.release(gate.id, { outputs: { rows: 1 } })
        await h.settle()
        expect((await h.states(id))[id]).toBe('FINISHED')
      } finally {
        await store.close()
        await scratch?.drop()
      }
    })
  }
})
