import { describe, expect, it } from 'vitest'
import { MemoryRuntime } from './memory-runtime.js'
import type { StateRecord } from './ports/records.js'

const state = (version: string): StateRecord => ({
  nodeId: 'n1',
  rootId: 'p1',
  parentId: 'p1',
  name: 'RUNNING',
  version,
  loop: 1,
  innerLoop: 1,
  retry: 0,
  skip: false,
  errorIgnored: false,
  createdTime: 0,
  startedTime: 0,
  archivedTime: null,
})

describe('MemoryRuntime', () => {
  it('updates a state only while its version and name are the expected ones', async () => {
    const runtime = new MemoryRuntime()
    expect(await runtime.createState(state('v1'))).toBe(true)
    expect(await runtime.createState(state('v2'))).toBe(false)
    expect(await runtime.updateState('n1', 'v0', { name: 'FINISHED' })).toBe(false)
    expect(await runtime.updateState('n1', 'v1', { name: 'FINISHED' }, 'FAILED')).toBe(false)
    expect((await runtime.getState('n1'))?.name).toBe('RUNNING')
    expect(
      await runtime.updateState('n1', 'v1', { name: 'FINISHED', version: 'v2' }, 'RUNNING'),
    ).toBe(true)
    expect(await runtime.getState('n1')).toMatchObject({ name: 'FINISHED', version: 'v2' })
  })

  it('hands out copies of states, so a caller cannot change a stored state', async () => {
    const runtime = new MemoryRuntime()
    await runtime.createState(state('v1'))
    const s = await runtime.getState('n1')
    s!.name = 'FAILED'
    expect((await runtime.getState('n1'))!.name).toBe('RUNNING')
  })

  it('takes each callback once, oldest first, and locks a schedule for one caller', async () => {
    const runtime = new MemoryRuntime()
    await runtime.createSchedule({
      id: 's1',
      type: 'multi_callback',
      processId: 'p',
      nodeId: 'n1',
      version: 'v1',
      finished: false,
      expired: false,
      scheduling: false,
      times: 0,
      dueAt: null,
    })
    for (const id of ['c1', 'c2']) {
      await runtime.addCallback({
        id,
        scheduleId: 's1',
        nodeId: 'n1',
        version: 'v1',
        data: id,
        consumed: false,
      })
    }
    expect((await runtime.nextCallback('s1'))?.id).toBe('c1')
    expect((await runtime.nextCallback('s1'))?.id).toBe('c1')
    expect(await runtime.consumeCallback('c1')).toBe(true)
    expect(await runtime.consumeCallback('c1')).toBe(false)
    expect((await runtime.nextCallback('s1'))?.id).toBe('c2')
    expect(await runtime.consumeCallback('c2')).toBe(true)
    expect(await runtime.nextCallback('s1')).toBeUndefined()
    expect(await runtime.lockSchedule('s1')).toBe(true)
    expect(await runtime.lockSchedule('s1')).toBe(false)
    expect(await runtime.findSchedule('n1', 'v1')).toMatchObject({ id: 's1', scheduling: true })
  })

  it('counts acknowledgements and finds live processes by their fields', async () => {
    const runtime = new MemoryRuntime()
    const base = {
      rootPipelineId: 'p1',
      parentId: null,
      destinationId: null,
      currentNodeId: 'n1',
      pipelineStack: ['p1'],
      asleep: true,
      suspended: false,
      suspendedBy: null,
      dead: false,
      ackNum: 0,
      needAck: 2,
    }
    await runtime.createProcesses([
      { id: 'a', ...base },
      { id: 'b', ...base, dead: true },
    ])
    expect(await runtime.addAck('a')).toBe(1)
    expect(await runtime.addAck('a')).toBe(2)
    expect((await runtime.findProcesses({ currentNodeId: 'n1' })).map((p) => p.id)).toEqual(['a'])
  })

  it('keeps schedules, callbacks and histories apart by node and schedule', async () => {
    const runtime = new MemoryRuntime()
    const schedule = (id: string, nodeId: string, version: string) => ({
      id,
      type: 'callback' as const,
      processId: 'p',
      nodeId,
      version,
      finished: false,
      expired: false,
      scheduling: false,
      times: 0,
      dueAt: null,
    })
    for (let i = 0; i < 50; i++)
      await runtime.createSchedule(schedule(`s${i}`, `n${i % 5}`, `v${i}`))
    await runtime.createSchedule({ ...schedule('t', 'n3', 'v38'), type: 'timeout' })
    expect((await runtime.findSchedule('n3', 'v38'))?.id).toBe('s38')
    expect((await runtime.findSchedule('n3', 'v38', 'timeout'))?.id).toBe('t')
    expect(await runtime.findSchedule('n4', 'v38')).toBeUndefined()

    const callback = (id: string, scheduleId: string) => ({
      id,
      scheduleId,
      nodeId: 'n1',
      version: 'v1',
      data: { id },
      consumed: false,
    })
    await runtime.addCallback(callback('a1', 's1'))
    await runtime.addCallback(callback('b1', 's2'))
    await runtime.addCallback(callback('a2', 's1'))
    expect((await runtime.nextCallback('s2'))?.id).toBe('b1')
    expect(await runtime.consumeCallback('b1')).toBe(true)
    expect(await runtime.nextCallback('s2')).toBeUndefined()
    expect(await runtime.nextCallback('s1')).toMatchObject({ id: 'a1', consumed: false })
    expect(await runtime.consumeCallback('a1')).toBe(true)
    expect((await runtime.nextCallback('s1'))?.id).toBe('a2')

    const history = (nodeId: string, loop: number) => ({
      nodeId,
      loop,
      retry: 0,
      skip: false,
      version: `v${loop}`,
      startedTime: 0,
      archivedTime: 1,
      inputs: {},
      outputs: { loop },
    })
    await runtime.addHistory(history('x', 1))
    await runtime.addHistory(history('y', 1))
    await runtime.addHistory(history('x', 2))
    const histories = await runtime.getHistories('x')
    expect(histories.map((h) => [h.id, h.loop])).toEqual([
      [1, 1],
      [3, 2],
    ])
    histories[0]!.outputs.loop = 99
    expect((await runtime.getHistories('x'))[0]!.outputs).toEqual({ loop: 1 })
    expect(await runtime.getHistories('z')).toEqual([])
  })
})
