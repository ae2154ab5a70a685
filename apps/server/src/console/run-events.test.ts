import { describe, expect, it } from 'vitest'
import type { User } from '../auth/users.js'
import { type RunEvent, RunEvents } from './run-events.js'
import type { NodeState, Run, RunReader, StateMap } from './run-reader.js'

const alice: User = { id: 1, name: 'alice', isAdmin: false }

function state(nodeId: string, name: string, retry = 0): NodeState {
  return {
    node_id: nodeId,
    parent_id: nodeId === 'p1' ? '' : 'p1',
    state: name,
    name,
    version: 'v1',
    loop: 1,
    inner_loop: 1,
    retry,
    skip: false,
    error_ignored: false,
    started_time: 1,
    archived_time: null,
  }
}

/** A reader whose run `p1` has the states the test sets, counting its reads. */
function fakeReader() {
  let states: StateMap = { p1: state('p1', 'RUNNING'), n1: state('n1', 'RUNNING') }
  const reads = { count: 0 }
  const reader = {
    states: async () => {
      reads.count++
      return structuredClone(states)
    },
    runById: async (id: string) =>
      id === 'p1' ? ({ id, state: states.p1!.state } as unknown as Run) : undefined,
  } as unknown as RunReader
  return {
    reader,
    reads,
    set: (next: StateMap) => {
      states = next
    },
  }
}

function collector() {
  const events: RunEvent[] = []
  let ended = 0
  return {
    events,
    get ended() {
      return ended
    },
    stream: { send: (e: RunEvent) => events.push(e), end: () => ended++ },
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(check()).toBe(true)
}

describe('RunEvents', () => {
  it('sends the snapshot, then each changed state and the run when its state changes', async () => {
    const fake = fakeReader()
    const events = new RunEvents(fake.reader, { pollMs: 10_000, settleMs: 1 })
    const a = collector()
    const stop = await events.subscribe(alice, 'p1', a.stream)
    expect(a.events).toEqual([
      {
        event: 'snapshot',
        data: { run: { id: 'p1', state: 'RUNNING' }, states: expect.any(Object) },
      },
    ])
    fake.set({ p1: state('p1', 'FINISHED'), n1: state('n1', 'FINISHED') })
    events.changed('p1')
    await until(() => a.events.length === 4)
    expect(a.events.slice(1).map((e) => e.event)).toEqual(['node', 'node', 'run'])
    expect(a.events[3]!.data).toEqual({ id: 'p1', state: 'FINISHED' })
    stop()
    expect(events.watched).toBe(0)
    events.close()
  })

  it('reads a watched run once per change, however many watch it, and stops with the last', async () => {
    const fake = fakeReader()
    const events = new RunEvents(fake.reader, { pollMs: 10_000, settleMs: 1 })
    const [a, b] = [collector(), collector()]
    const stopA = await events.subscribe(alice, 'p1', a.stream)
    const stopB = await events.subscribe({ ...alice, id: 2 }, 'p1', b.stream)
    expect(events.watched).toBe(1)
    const before = fake.reads.count
    fake.set({ p1: state('p1', 'RUNNING'), n1: state('n1', 'RUNNING', 1) })
    events.changed('p1')
    await until(() => a.events.length === 2 && b.events.length === 2)
    expect(fake.reads.count - before).toBeLessThanOrEqual(2)
    expect(b.events.map((e) => e.event)).toEqual(['snapshot', 'node'])
    stopA()
    expect(events.watched).toBe(1)
    stopB()
    stopB()
    expect(events.watched).toBe(0)
    events.changed('p1')
    events.close()
  })

  it('polls a watched run for changes made elsewhere', async () => {
    const fake = fakeReader()
    const events = new RunEvents(fake.reader, { pollMs: 10, settleMs: 1 })
    const a = collector()
    const stop = await events.subscribe(alice, 'p1', a.stream)
    fake.set({ p1: state('p1', 'RUNNING'), n1: state('n1', 'FAILED') })
    await until(() => a.events.some((e) => e.event === 'node'))
    stop()
    events.close()
  })

  it('refuses a user over their number of streams, and an unknown run', async () => {
    const fake = fakeReader()
    const events = new RunEvents(fake.reader, { pollMs: 10_000, maxStreamsPerUser: 2 })
    const stops = [
      await events.subscribe(alice, 'p1', collector().stream),
      await events.subscribe(alice, 'p1', collector().stream),
    ]
    await expect(events.subscribe(alice, 'p1', collector().stream)).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
    })
    stops[0]!()
    const again = await events.subscribe(alice, 'p1', collector().stream)
    await expect(
      events.subscribe({ ...alice, id: 3 }, 'p9', collector().stream),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(events.watched).toBe(1)
    again()
    stops[1]!()
    events.close()
  })

  it('ends every stream when closed, and refuses new ones', async () => {
    const fake = fakeReader()
    const events = new RunEvents(fake.reader, { pollMs: 10_000 })
    const a = collector()
    await events.subscribe(alice, 'p1', a.stream)
    events.close()
    expect(a.ended).toBe(1)
    expect(events.watched).toBe(0)
    await expect(events.subscribe(alice, 'p1', collector().stream)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    })
  })
})
