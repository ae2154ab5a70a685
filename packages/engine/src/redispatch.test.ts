import {
  buildTree,
  ConvergeGateway,
  EmptyEndEvent,
  EmptyStartEvent,
  ParallelGateway,
  ServiceActivity,
} from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { createEngine } from './engine.js'
import { InlineDispatcher } from './inline-dispatcher.js'
import { MemoryRuntime } from './memory-runtime.js'
import { ManualClock } from './ports/clock.js'
import { MAX_STEP_ATTEMPTS } from './steps.js'
import { countingComponents, failingStorage, sequenceOf } from './test-support.js'

/**
 * The counting components, and: `last_poll_then_outage` polls as `poller` does, and the storage
 * goes down once its last poll is written; `slow` answers when `release` is called.
 */
function components(storage: { downAfterCommit: number }) {
  let release: () => void = () => {}
  const { calls, registry } = countingComponents((count) => [
    {
      code: 'last_poll_then_outage',
      interval: 1,
      execute: (_d, _p, c) => count(`${c.nodeId}:execute`),
      schedule: (_d, _p, _callback, controls) => {
        count(`${controls.nodeId}:schedule`)
        if (controls.scheduleTimes + 1 < 2) return
        controls.finishSchedule()
        storage.downAfterCommit = MAX_STEP_ATTEMPTS
      },
    },
    {
      code: 'slow',
      execute: (_d, _p, c) => {
        count(`${c.nodeId}:execute`)
        return new Promise<void>((resolve) => {
          release = resolve
        })
      },
    },
  ])
  return { registry, calls, release: () => release() }
}

function setUp() {
  const memory = new MemoryRuntime()
  const { runtime, storage } = failingStorage(memory)
  const clock = new ManualClock()
  const dispatcher = new InlineDispatcher({ clock })
  const { registry, calls, release } = components(storage)
  const engine = createEngine({ runtime, clock, dispatcher, components: registry })
  const settle = async () => {
    await dispatcher.idle()
    await engine.idle()
  }
  const advance = (ms: number) => clock.advance(ms, settle)
  const stateOf = async (id: string) => (await memory.getState(id))?.name
  return { memory, engine, dispatcher, clock, storage, calls, release, settle, advance, stateOf }
}

describe('redispatching a run that nothing moves on', () => {
  it('sends on a process whose step gave up while the storage was down, from the node it stood on', async () => {
    const e = setUp()
    const { tree, ids } = sequenceOf('last_poll_then_outage', 'counted')
    const [polled, next] = ids as [string, string]
    expect((await e.engine.api.runPipeline({ pipeline: tree })).result).toBe(true)
    await e.settle()
    // The last poll commits the node's finish; the step that goes on to the next node finds the
    // storage down on every attempt and gives up.
    await e.advance(1000)
    expect(e.dispatcher.errors.map(String)).toEqual([expect.stringContaining('Connection lost')])
    expect(await e.stateOf(polled)).toBe('FINISHED')
    expect(await e.stateOf(next)).toBeUndefined()
    expect(await e.stateOf(tree.id)).toBe('RUNNING')
    const [process] = await e.memory.findProcesses({ rootPipelineId: tree.id })
    expect(process).toMatchObject({ currentNodeId: next, asleep: false, dead: false })
    // Nothing else would move it: it is the same an hour later.
    await e.advance(3600_000)
    expect(e.calls.get(`${next}:execute`)).toBeUndefined()

    const answer = await e.engine.api.redispatchPipeline({ pipelineId: tree.id })
    expect(answer).toMatchObject({
      result: true,
      data: { executed: [{ process_id: process!.id, node_id: next }], scheduled: [], joined: [] },
    })
    await e.settle()
    expect(await e.stateOf(tree.id)).toBe('FINISHED')
    expect(e.calls.get(`${polled}:execute`)).toBe(1)
    expect(e.calls.get(`${polled}:schedule`)).toBe(2)
    expect(e.calls.get(`${next}:execute`)).toBe(1)
  })

  it('runs again a poll whose step gave up, and a callback whose wake-up was lost', async () => {
    const e = setUp()
    const { tree, ids } = sequenceOf('poller', 'waiter')
    const [poller, waiter] = ids as [string, string]
    await e.engine.api.runPipeline({ pipeline: tree })
    await e.settle()
    // Its first poll runs with its execute; the second finds the storage down and gives up.
    expect(e.calls.get(`${poller}:schedule`)).toBe(1)
    e.storage.down = MAX_STEP_ATTEMPTS
    await e.advance(1000)
    expect(e.dispatcher.errors).toHaveLength(1)
    await e.advance(3600_000)
    expect(e.calls.get(`${poller}:schedule`)).toBe(1)

    const polled = await e.engine.api.redispatchPipeline({ pipelineId: tree.id })
    expect(polled.data).toMatchObject({
      executed: [],
      scheduled: [{ node_id: poller, schedule_id: expect.any(String) }],
    })
    await e.settle()
    expect(e.calls.get(`${poller}:schedule`)).toBe(2)
    expect(await e.stateOf(poller)).toBe('FINISHED')

    // A node waiting for a callback that has not come is not stuck: nothing to dispatch.
    const waiting = await e.engine.api.redispatchPipeline({ pipelineId: tree.id })
    expect(waiting.result).toBe(false)
    expect(waiting.message).toContain(`nothing of pipeline(${tree.id}) can be dispatched again`)
    expect(waiting.message).toContain('waits for a callback')

    // The callback is stored, but the schedule step it starts gives up: the data waits for a
    // schedule run that nothing will start.
    const version = (await e.memory.getState(waiter))!.version
    e.storage.downAfterCommit = MAX_STEP_ATTEMPTS
    const callback = await e.engine.api.callback({ nodeId: waiter, version, data: { ok: 1 } })
    expect(callback.result).toBe(true)
    await e.settle()
    expect(e.storage.down).toBe(0)
    expect(e.dispatcher.errors).toHaveLength(2)
    expect(e.calls.get(`${waiter}:schedule`)).toBeUndefined()
    const called = await e.engine.api.redispatchPipeline({ pipelineId: tree.id })
    expect(called.data?.scheduled).toEqual([expect.objectContaining({ node_id: waiter })])
    await e.settle()
    expect(e.calls.get(`${waiter}:schedule`)).toBe(1)
    expect(await e.stateOf(tree.id)).toBe('FINISHED')
  })

  it('never sends on a process whose step is queued or due, or whose component still runs', async () => {
    const e = setUp()
    const slow = sequenceOf('slow')
    await e.engine.api.runPipeline({ pipeline: slow.tree })
    // The call outlasts the brief wait its step gives it, then runs past the step.
    while (e.clock.pending === 0) await new Promise((resolve) => setImmediate(resolve))
    await e.clock.advance(5000, () => e.dispatcher.idle())
    expect(e.engine.runningCalls()).toBe(1)
    const running = await e.engine.api.redispatchPipeline({ pipelineId: slow.tree.id })
    expect(running.result).toBe(false)
    expect(running.message).toContain('has a step or a component call under way')
    e.release()
    await e.settle()
    expect(await e.stateOf(slow.tree.id)).toBe('FINISHED')
    expect(e.calls.get(`${slow.ids[0]}:execute`)).toBe(1)

    const polling = sequenceOf('poller')
    await e.engine.api.runPipeline({ pipeline: polling.tree })
    await e.settle()
    const due = await e.engine.api.redispatchPipeline({ pipelineId: polling.tree.id })
    expect(due.message).toContain('has a step or a component call under way')
    await e.advance(1000)
    await e.advance(1000)
    expect(e.calls.get(`${polling.ids[0]}:schedule`)).toBe(2)
  })

  it('sends a stalled process on once, however many callers ask at the same time', async () => {
    const e = setUp()
    const { tree, ids } = sequenceOf('last_poll_then_outage', 'counted')
    await e.engine.api.runPipeline({ pipeline: tree })
    await e.settle()
    await e.advance(1000)
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => e.engine.api.redispatchPipeline({ pipelineId: tree.id })),
    )
    await e.settle()
    expect(answers.filter((a) => a.result)).toHaveLength(1)
    for (const refused of answers.filter((a) => !a.result)) {
      expect(refused.message).toMatch(/under way|state is: FINISHED/)
    }
    expect(e.calls.get(`${ids[1]}:execute`)).toBe(1)
    expect(await e.stateOf(tree.id)).toBe('FINISHED')
  })

  it('runs a process sent on again only if nothing else sent it on meanwhile', async () => {
    for (const order of ['resent first', 'resent last'] as const) {
      // A dispatcher whose steps run when the test says, so that another path can send the
      // stalled process on between the redispatch and its step.
      const queued: Array<() => Promise<void>> = []
      const memory = new MemoryRuntime()
      const { runtime, storage } = failingStorage(memory)
      const clock = new ManualClock()
      const { registry, calls } = components(storage)
      const engine = createEngine({
        runtime,
        clock,
        components: registry,
        dispatcher: {
          execute: (processId, nodeId) => {
            queued.push(() => engine.execute(processId, nodeId))
          },
          schedule: (processId, nodeId, scheduleId) => {
            queued.push(() => engine.schedule(processId, nodeId, scheduleId))
          },
        },
      })
      const drain = async () => {
        while (queued.length > 0) await queued.shift()!()
      }
      const { tree, ids } = sequenceOf('counted', 'waiter')
      await engine.api.runPipeline({ pipeline: tree })
      // The first step gives up: the process stays awake at the start event.
      storage.down = MAX_STEP_ATTEMPTS
      await expect(drain()).rejects.toThrow('Connection lost')
      expect((await engine.api.redispatchPipeline({ pipelineId: tree.id })).result).toBe(true)
      // A restart's recovery sends the same process on.
      expect((await engine.recover()).processes).toBe(1)
      expect(queued).toHaveLength(2)
      if (order === 'resent last') queued.reverse()
      await drain()
      expect(calls.get(`${ids[0]}:execute`), order).toBe(1)
      expect(calls.get(`${ids[1]}:execute`), order).toBe(1)
      expect((await memory.getState(ids[1]!))?.loop, order).toBe(1)
    }
  })

  it('joins a fork whose branches all reached the converge, and refuses one with a lost branch', async () => {
    const e = setUp()
    const build = () => {
      const start = new EmptyStartEvent()
      const fork = new ParallelGateway()
      const converge = new ConvergeGateway()
      const after = new ServiceActivity({ componentCode: 'counted' })
      start
        .extend(fork)
        .connect(
          new ServiceActivity({ componentCode: 'counted' }),
          new ServiceActivity({ componentCode: 'counted' }),
        )
        .converge(converge)
        .extend(after)
        .extend(new EmptyEndEvent())
      return { tree: buildTree(start), converge: converge.id, after: after.id }
    }
    const joined = build()
    e.storage.ackLost = true
    await e.engine.api.runPipeline({ pipeline: joined.tree })
    await e.settle()
    expect(await e.stateOf(joined.tree.id)).toBe('RUNNING')
    const [parent] = (await e.memory.findProcesses({ rootPipelineId: joined.tree.id })).filter(
      (p) => p.parentId === null,
    )
    expect(parent).toMatchObject({ needAck: 2, ackNum: 1, asleep: true })
    const answer = await e.engine.api.redispatchPipeline({ pipelineId: joined.tree.id })
    expect(answer.data).toMatchObject({
      joined: [{ process_id: parent!.id, node_id: joined.converge }],
    })
    await e.settle()
    expect(await e.stateOf(joined.tree.id)).toBe('FINISHED')
    expect(e.calls.get(`${joined.after}:execute`)).toBe(1)

    // A branch that ended short of the converge: joining would skip its work.
    const lost = build()
    e.storage.ackLost = true
    await e.engine.api.runPipeline({ pipeline: lost.tree })
    await e.settle()
    const [branch] = await e.memory.findProcesses({
      rootPipelineId: lost.tree.id,
      dead: true,
    })
    await e.memory.transaction((tx) =>
      tx.updateProcess(branch!.id, { currentNodeId: lost.tree.start_event.id }),
    )
    const refused = await e.engine.api.redispatchPipeline({ pipelineId: lost.tree.id })
    expect(refused.result).toBe(false)
    expect(refused.message).toContain('short of its converge')
    expect(e.calls.get(`${lost.after}:execute`)).toBeUndefined()
  })

  it('refuses, changing nothing, a pipeline that is unknown, not a root, paused or ended', async () => {
    const e = setUp()
    const { tree, ids } = sequenceOf('waiter')
    await e.engine.api.runPipeline({ pipeline: tree })
    await e.settle()
    for (const [id, message] of [
      ['nope', 'pipeline(nope) does not exist'],
      [ids[0]!, `pipeline(${ids[0]}) does not exist`],
    ] as const) {
      const answer = await e.engine.api.redispatchPipeline({ pipelineId: id })
      expect(answer).toMatchObject({ result: false, message, data: null })
    }
    await e.engine.api.pausePipeline({ pipelineId: tree.id })
    expect((await e.engine.api.redispatchPipeline({ pipelineId: tree.id })).message).toContain(
      'resume it',
    )
    await e.engine.api.revokePipeline({ pipelineId: tree.id })
    expect((await e.engine.api.redispatchPipeline({ pipelineId: tree.id })).message).toContain(
      'state is: REVOKED',
    )
    expect(e.calls.get(`${ids[0]}:schedule`)).toBeUndefined()
  })
})
