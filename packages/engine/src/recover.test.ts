import { describe, expect, it, vi } from 'vitest'
import { ComponentRegistry } from './component-registry.js'
import { createEngine, type Engine } from './engine.js'
import { InlineDispatcher } from './inline-dispatcher.js'
import { MemoryRuntime } from './memory-runtime.js'
import { type Clock, ManualClock, systemClock } from './ports/clock.js'
import type { Runtime } from './ports/runtime.js'
import { countingComponents, sequenceOf } from './test-support.js'

/**
 * A runtime that "dies" after `commits` transactions: later transactions never start and never
 * settle, as if the worker was killed right after its last commit. MemoryRuntime writes at once,
 * so what the committed transactions wrote is exactly what a recovering worker finds.
 */
function dyingRuntime(runtime: MemoryRuntime, commits: number): Runtime {
  let left = commits
  return new Proxy(runtime, {
    get(target, key, receiver) {
      if (key === 'transaction') {
        return <T>(fn: (tx: Runtime) => Promise<T>): Promise<T> => {
          if (left <= 0) return new Promise<T>(() => {})
          left--
          return target.transaction(fn)
        }
      }
      const value = Reflect.get(target, key, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** A clock that moves 100 ms on every reading, so that every engine step commits on its own. */
function racingClock(): Clock {
  let now = Date.UTC(2026, 0, 1)
  return { ...systemClock, now: () => (now += 100) }
}

function recoveringEngine(runtime: MemoryRuntime, registry: ComponentRegistry, clock?: Clock) {
  const dispatcher = new InlineDispatcher(clock ? { clock } : {})
  const engine = createEngine({
    runtime,
    dispatcher,
    components: registry,
    ...(clock ? { clock } : {}),
  })
  return { engine, dispatcher }
}

async function stateName(engine: Engine, nodeId: string): Promise<string | undefined> {
  return (await engine.runtime.getState(nodeId))?.name
}

describe('recover', () => {
  const COMMITS = [1, 2, 3, 4, 5]

  it.each(COMMITS)(
    'finishes a pipeline whose worker died after commit %i (a process left awake mid-pipeline)',
    async (commits) => {
      const memory = new MemoryRuntime()
      const { calls, registry } = countingComponents()
      const { tree, ids } = sequenceOf('counted', 'counted', 'counted', 'counted')
      const dying = createEngine({
        runtime: dyingRuntime(memory, commits),
        components: registry,
        clock: racingClock(),
      })
      void dying.api.runPipeline({ pipeline: tree })
      await new Promise((resolve) => setTimeout(resolve, 20))
      const { engine } = recoveringEngine(memory, registry)
      const recovered = await engine.recover()
      // Commit 1 is runPipeline itself: its process waits, awake, at the start event.
      expect(recovered.processes).toBe(1)
      await engine.idle()
      expect(await stateName(engine, tree.id)).toBe('FINISHED')
      for (const id of ids) expect(await stateName(engine, id)).toBe('FINISHED')
      expect(calls.size).toBe(ids.length)
    },
  )

  it.each(COMMITS)(
    'does not run again a node whose finish was committed before the worker died (commit %i)',
    async (commits) => {
      const memory = new MemoryRuntime()
      const { calls, registry } = countingComponents()
      const { tree, ids } = sequenceOf('counted', 'counted', 'counted', 'counted')
      const dying = createEngine({
        runtime: dyingRuntime(memory, commits),
        components: registry,
        clock: racingClock(),
      })
      void dying.api.runPipeline({ pipeline: tree })
      await new Promise((resolve) => setTimeout(resolve, 20))
      const { engine } = recoveringEngine(memory, registry)
      await engine.recover()
      await engine.idle()
      // Nothing was left uncommitted (the dead worker's last transaction never started), so every
      // component call must have happened exactly once and no node may have been re-entered.
      expect(Object.fromEntries(calls)).toEqual(
        Object.fromEntries(ids.map((id) => [`${id}:execute`, 1])),
      )
      for (const id of ids) {
        expect(await memory.getState(id), id).toMatchObject({ name: 'FINISHED', loop: 1 })
        expect(await memory.getHistories(id), id).toEqual([])
      }
    },
  )

  it('runs a pending poll when it falls due', async () => {
    const memory = new MemoryRuntime()
    const { calls, registry } = countingComponents()
    const { tree, ids } = sequenceOf('poller')
    const clock = new ManualClock()
    const first = recoveringEngine(memory, registry, clock)
    await first.engine.api.runPipeline({ pipeline: tree })
    await first.engine.idle()
    first.dispatcher.close() // the worker dies with its timer for the second poll
    const schedule = (await memory.findPendingSchedules())[0]
    expect(schedule).toMatchObject({ type: 'poll', times: 1, dueAt: clock.now() + 1000 })

    const { engine } = recoveringEngine(memory, registry, clock)
    expect(await engine.recover()).toEqual({ processes: 0, schedules: 1, quarantined: 0 })
    await engine.idle()
    expect(await stateName(engine, ids[0]!)).toBe('RUNNING')
    await clock.advance(999, () => engine.idle())
    expect(calls.get(`${ids[0]}:schedule`)).toBe(1)
    await clock.advance(1, () => engine.idle())
    expect(calls.get(`${ids[0]}:schedule`)).toBe(2)
    expect(await stateName(engine, ids[0]!)).toBe('FINISHED')
    expect(await stateName(engine, tree.id)).toBe('FINISHED')
  })

  it('releases the lock a dead worker held on a schedule and runs it', async () => {
    const memory = new MemoryRuntime()
    const { registry } = countingComponents()
    const { tree, ids } = sequenceOf('poller', 'counted')
    const clock = new ManualClock()
    const first = recoveringEngine(memory, registry, clock)
    await first.engine.api.runPipeline({ pipeline: tree })
    await first.engine.idle()
    first.dispatcher.close()
    const schedule = (await memory.findPendingSchedules())[0]!
    // The worker died inside the second poll: lock taken, call not committed.
    await clock.advance(1000)
    expect(await memory.lockSchedule(schedule.id)).toBe(true)

    const { engine } = recoveringEngine(memory, registry, clock)
    expect(await engine.recover()).toEqual({ processes: 0, schedules: 1, quarantined: 0 })
    await engine.idle()
    expect((await memory.getSchedule(schedule.id))?.finished).toBe(true)
    for (const id of [...ids, tree.id]) expect(await stateName(engine, id)).toBe('FINISHED')
  })

  it('delivers a callback that arrived while its worker was dying', async () => {
    const memory = new MemoryRuntime()
    const { registry } = countingComponents()
    const { tree, ids } = sequenceOf('waiter', 'counted')
    const first = recoveringEngine(memory, registry)
    await first.engine.api.runPipeline({ pipeline: tree })
    await first.engine.idle()
    first.dispatcher.close() // the callback is committed, its dispatch is lost
    const version = (await memory.getState(ids[0]!))!.version
    expect(
      await first.engine.api.callback({ nodeId: ids[0]!, version, data: { ok: 1 } }),
    ).toMatchObject({ result: true })
    expect(await stateName(first.engine, ids[0]!)).toBe('RUNNING')

    const { engine } = recoveringEngine(memory, registry)
    expect(await engine.recover()).toEqual({ processes: 0, schedules: 1, quarantined: 0 })
    await engine.idle()
    for (const id of [...ids, tree.id]) expect(await stateName(engine, id)).toBe('FINISHED')
    expect((await memory.getExecutionData(ids[0]!))?.outputs).toMatchObject({
      callback_data: { ok: 1 },
    })
  })

  it('applies a callback whose slow schedule call was cut short by the worker stopping', async () => {
    const memory = new MemoryRuntime()
    const { registry } = countingComponents()
    // The first worker's schedule call never answers: it outlives its step, which commits the
    // schedule's lock, and the worker stops before the answer.
    let scheduleCalls = 0
    const hanging = new ComponentRegistry().register(
      { code: 'counted', execute: () => {} },
      {
        code: 'waiter',
        execute: () => {},
        schedule: () => {
          scheduleCalls++
          return new Promise<void>(() => {})
        },
      },
    )
    const { tree, ids } = sequenceOf('waiter', 'counted')
    const first = recoveringEngine(memory, hanging)
    await first.engine.api.runPipeline({ pipeline: tree })
    await first.engine.idle()
    const version = (await memory.getState(ids[0]!))!.version
    expect(
      await first.engine.api.callback({ nodeId: ids[0]!, version, data: { ok: 2 } }),
    ).toMatchObject({ result: true })
    await vi.waitFor(() => expect(scheduleCalls).toBe(1))
    await vi.waitFor(async () => {
      expect((await memory.findPendingSchedules())[0]).toMatchObject({ scheduling: true })
    })
    first.dispatcher.close()

    const { engine } = recoveringEngine(memory, registry)
    expect(await engine.recover()).toEqual({ processes: 0, schedules: 1, quarantined: 0 })
    await engine.idle()
    for (const id of [...ids, tree.id]) expect(await stateName(engine, id)).toBe('FINISHED')
    expect((await memory.getExecutionData(ids[0]!))?.outputs).toMatchObject({
      callback_data: { ok: 2 },
    })
    expect(await memory.nextCallback((await memory.findSchedule(ids[0]!, version))!.id)).toBe(
      undefined,
    )
  })

  it('does nothing for finished and revoked pipelines', async () => {
    const memory = new MemoryRuntime()
    const { calls, registry } = countingComponents()
    const done = sequenceOf('counted')
    const revoked = sequenceOf('waiter')
    const first = recoveringEngine(memory, registry)
    await first.engine.api.runPipeline({ pipeline: done.tree })
    await first.engine.api.runPipeline({ pipeline: revoked.tree })
    await first.engine.idle()
    expect(await first.engine.api.revokePipeline({ pipelineId: revoked.tree.id })).toMatchObject({
      result: true,
    })
    await first.engine.idle()
    first.dispatcher.close()
    const before = new Map(calls)
    const states = async () => [
      ...(await memory.getStatesByRoot(done.tree.id)),
      ...(await memory.getStatesByRoot(revoked.tree.id)),
    ]
    const statesBefore = await states()

    const { engine } = recoveringEngine(memory, registry)
    const recovered = await engine.recover()
    await engine.idle()
    expect(recovered.processes).toBe(0)
    expect(calls).toEqual(before)
    expect(await states()).toEqual(statesBefore)
    expect(await stateName(engine, done.tree.id)).toBe('FINISHED')
    expect(await stateName(engine, revoked.tree.id)).toBe('REVOKED')
    // A schedule of the revoked pipeline may be dispatched once; it must end expired, not run.
    expect(await memory.findPendingSchedules()).toEqual([])
  })
})
