import type { ProcessRecord, ScheduleRecord } from '@culm/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreError } from './errors.js'
import { KyselyRuntime } from './kysely-runtime.js'
import type { OpenedRuntime } from './open-runtime.js'
import {
  DATABASES,
  openTestStore,
  processRecord,
  stateRecord,
  tempFolder,
  uniqueId,
} from './test-databases.js'

const scheduleRecord = (overrides: Partial<ScheduleRecord> & { id: string }): ScheduleRecord => ({
  type: 'callback',
  processId: 'p',
  nodeId: 'n',
  version: 'v1',
  finished: false,
  expired: false,
  scheduling: false,
  times: 0,
  dueAt: null,
  ...overrides,
})

/** Resolves once `count` callers have arrived. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return () => {
    arrived++
    if (arrived >= count) open()
    return opened
  }
}

for (const database of DATABASES) {
  describe(`KyselyRuntime on ${database}`, () => {
    const folder = tempFolder()
    let store: OpenedRuntime
    let runtime: KyselyRuntime

    beforeAll(async () => {
      store = await openTestStore(database, folder.path)
      runtime = store.runtime
    })

    afterAll(async () => {
      await store?.close()
      folder.remove()
    })

    it('updates a state only while its version and name are the expected ones', async () => {
      const nodeId = uniqueId('n')
      expect(await runtime.createState(stateRecord({ nodeId }))).toBe(true)
      expect(await runtime.updateState(nodeId, 'v0', { name: 'FINISHED' })).toBe(false)
      expect(await runtime.updateState(nodeId, 'v1', { name: 'FINISHED' }, 'FAILED')).toBe(false)
      expect((await runtime.getState(nodeId))?.name).toBe('RUNNING')
      expect(
        await runtime.updateState(nodeId, 'v1', { name: 'FINISHED', version: 'v2' }, 'RUNNING'),
      ).toBe(true)
      expect(await runtime.getState(nodeId)).toMatchObject({ name: 'FINISHED', version: 'v2' })
      // A write of the values already there still counts as done.
      expect(await runtime.updateState(nodeId, 'v2', { name: 'FINISHED' })).toBe(true)
      expect(await runtime.updateState(nodeId, 'v2', {}, 'FINISHED')).toBe(true)
      expect(await runtime.updateState(nodeId, 'v1', {})).toBe(false)
      expect(await runtime.updateState(uniqueId('missing'), 'v1', { retry: 1 })).toBe(false)
    })

    it('refuses a second state for a node and keeps the first', async () => {
      const nodeId = uniqueId('n')
      expect(await runtime.createState(stateRecord({ nodeId, version: 'first' }))).toBe(true)
      expect(await runtime.createState(stateRecord({ nodeId, version: 'second' }))).toBe(false)
      expect((await runtime.getState(nodeId))?.version).toBe('first')
    })

    it('keeps every field of a state, with times as epoch milliseconds', async () => {
      const state = stateRecord({
        nodeId: uniqueId('n'),
        loop: 3,
        innerLoop: 2,
        retry: 4,
        skip: true,
        errorIgnored: true,
        archivedTime: 1_800_000_000_123,
      })
      await runtime.createState(state)
      expect(await runtime.getState(state.nodeId)).toEqual(state)
      expect(await runtime.getState(uniqueId('missing'))).toBeUndefined()
    })

    it('lists the states of a root and of a parent, the parent itself left out', async () => {
      const root = uniqueId('root')
      const sub = uniqueId('sub')
      const [a, b, c] = [uniqueId('a'), uniqueId('b'), uniqueId('c')]
      await runtime.createState(stateRecord({ nodeId: root, rootId: root, parentId: root }))
      await runtime.createState(stateRecord({ nodeId: a, rootId: root, parentId: root }))
      await runtime.createState(stateRecord({ nodeId: sub, rootId: root, parentId: root }))
      await runtime.createState(stateRecord({ nodeId: b, rootId: root, parentId: sub }))
      await runtime.createState(stateRecord({ nodeId: c, rootId: root, parentId: sub }))
      const ids = (states: Array<{ nodeId: string }>) => states.map((s) => s.nodeId)
      expect(ids(await runtime.getStatesByRoot(root))).toEqual([root, a, sub, b, c])
      expect(ids(await runtime.getStatesByParent(root))).toEqual([a, sub])
      expect(ids(await runtime.getStatesByParent(sub))).toEqual([b, c])
      expect(ids(await runtime.getStates([c, uniqueId('missing'), a, c]))).toEqual([c, a, c])
      expect(await runtime.getStates([])).toEqual([])
    })

    it('finds live processes by any fields, dead ones only when asked', async () => {
      const node = uniqueId('node')
      const [a, b, c] = [uniqueId('a'), uniqueId('b'), uniqueId('c')]
      await runtime.createProcesses([
        processRecord(a, { currentNodeId: node, asleep: true }),
        processRecord(b, { currentNodeId: node, dead: true }),
        processRecord(c, { currentNodeId: node, parentId: a, suspendedBy: node }),
      ])
      const ids = (processes: ProcessRecord[]) => processes.map((p) => p.id)
      expect(ids(await runtime.findProcesses({ currentNodeId: node }))).toEqual([a, c])
      expect(ids(await runtime.findProcesses({ currentNodeId: node, asleep: true }))).toEqual([a])
      expect(ids(await runtime.findProcesses({ currentNodeId: node, dead: true }))).toEqual([b])
      expect(ids(await runtime.findProcesses({ currentNodeId: node, parentId: null }))).toEqual([a])
      expect(ids(await runtime.findProcesses({ suspendedBy: node }))).toEqual([c])
      expect(await runtime.findProcesses({ currentNodeId: node, suspendedBy: undefined })).toEqual(
        [],
      )
      await runtime.updateProcess(c, { pipelineStack: ['root', 'sub'], suspended: true })
      expect(await runtime.getProcess(c)).toEqual(
        processRecord(c, {
          currentNodeId: node,
          parentId: a,
          suspendedBy: node,
          suspended: true,
          pipelineStack: ['root', 'sub'],
        }),
      )
    })

    it('counts acknowledgements in SQL, one number per caller, even at once', async () => {
      const parent = uniqueId('parent')
      await runtime.createProcesses([processRecord(parent, { needAck: 8 })])
      const counts = await Promise.all(
        Array.from({ length: 8 }, () => runtime.transaction((tx) => tx.addAck(parent))),
      )
      expect(counts.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect((await runtime.getProcess(parent))?.ackNum).toBe(8)
      expect(await runtime.addAck(uniqueId('missing'))).toBe(0)
    })

    it('locks a schedule for one caller only, even at once', async () => {
      const id = uniqueId('s')
      await runtime.createSchedule(scheduleRecord({ id }))
      const locked = await Promise.all(
        Array.from({ length: 5 }, () => runtime.transaction((tx) => tx.lockSchedule(id))),
      )
      expect(locked.filter(Boolean)).toHaveLength(1)
      expect(await runtime.lockSchedule(id)).toBe(false)
      await runtime.updateSchedule(id, { scheduling: false, times: 2 })
      expect(await runtime.lockSchedule(id)).toBe(true)
      expect(await runtime.getSchedule(id)).toEqual(
        scheduleRecord({ id, scheduling: true, times: 2 }),
      )
      expect(await runtime.lockSchedule(uniqueId('missing'))).toBe(false)
    })

    it('finds the schedule of a node version, timeouts and retries only by type', async () => {
      const nodeId = uniqueId('n')
      const ids = [uniqueId('timeout'), uniqueId('retry'), uniqueId('poll')]
      await runtime.createSchedule(scheduleRecord({ id: ids[0]!, nodeId, type: 'timeout' }))
      await runtime.createSchedule(scheduleRecord({ id: ids[1]!, nodeId, type: 'auto_retry' }))
      expect(await runtime.findSchedule(nodeId, 'v1')).toBeUndefined()
      await runtime.createSchedule(scheduleRecord({ id: ids[2]!, nodeId, type: 'poll' }))
      expect((await runtime.findSchedule(nodeId, 'v1'))?.id).toBe(ids[2])
      expect((await runtime.findSchedule(nodeId, 'v1', 'timeout'))?.id).toBe(ids[0])
      expect((await runtime.findSchedule(nodeId, 'v1', 'auto_retry'))?.id).toBe(ids[1])
      expect(await runtime.findSchedule(nodeId, 'v2')).toBeUndefined()
    })

    it('shows the oldest unconsumed callback and consumes each once, even for callers at once', async () => {
      const scheduleId = uniqueId('s')
      for (const [i, data] of [{ n: 1 }, null, 'three'].entries()) {
        await runtime.addCallback({
          id: `${scheduleId}-${i}`,
          scheduleId,
          nodeId: 'n',
          version: 'v1',
          data,
          consumed: false,
        })
      }
      const first = await runtime.nextCallback(scheduleId)
      expect(first).toMatchObject({ id: `${scheduleId}-0`, data: { n: 1 }, consumed: false })
      // Looking does not consume: the same one comes until it is consumed, once.
      expect((await runtime.nextCallback(scheduleId))?.id).toBe(`${scheduleId}-0`)
      // Consumed at the commit: one transaction commits, the others fail with CONFLICT.
      const consumed = await Promise.allSettled(
        Array.from({ length: 3 }, () =>
          runtime.transaction((tx) => tx.consumeCallback(`${scheduleId}-0`)),
        ),
      )
      expect(consumed.filter((c) => c.status === 'fulfilled')).toEqual([
        { status: 'fulfilled', value: true },
      ])
      for (const failed of consumed.filter((c) => c.status === 'rejected'))
        expect(failed.reason).toMatchObject({ code: 'CONFLICT' })
      expect(await runtime.consumeCallback(`${scheduleId}-0`)).toBe(false)
      const second = await runtime.nextCallback(scheduleId)
      expect(second).toMatchObject({ id: `${scheduleId}-1`, data: null })
      expect(await runtime.consumeCallback(`${scheduleId}-1`)).toBe(true)
      expect(await runtime.consumeCallback(`${scheduleId}-2`)).toBe(true)
      expect(await runtime.nextCallback(scheduleId)).toBeUndefined()
      expect(await runtime.consumeCallback('no-such-callback')).toBe(false)
    })

    it('keeps context values by pipeline and key, writing only the keys given', async () => {
      const pipeline = uniqueId('p')
      await runtime.upsertContext(pipeline, {
        '${a}': { type: 'plain', value: 1 },
        '${b}': { type: 'lazy', value: { x: [1, 'y'] }, customType: 'ip' },
      })
      await runtime.upsertContext(pipeline, {
        '${b}': { type: 'plain', value: 'two' },
        '${c}': { type: 'splice', value: '${a}' },
      })
      expect(await runtime.getContext(pipeline)).toEqual({
        '${a}': { type: 'plain', value: 1 },
        '${b}': { type: 'plain', value: 'two' },
        '${c}': { type: 'splice', value: '${a}' },
      })
      expect(Object.keys(await runtime.getContext(pipeline))).toEqual(['${a}', '${b}', '${c}'])
      expect(await runtime.getContext(uniqueId('other'))).toEqual({})
    })

    it('numbers histories in increasing order and keeps their data', async () => {
      const nodeId = uniqueId('n')
      for (const retry of [0, 1, 2]) {
        await runtime.addHistory({
          nodeId,
          loop: 1,
          retry,
          skip: retry === 2,
          version: `v${retry}`,
          startedTime: 1000 + retry,
          archivedTime: retry === 2 ? null : 2000 + retry,
          inputs: { retry },
          outputs: { _result: retry > 0 },
        })
      }
      const histories = await runtime.getHistories(nodeId)
      expect(histories.map((h) => h.retry)).toEqual([0, 1, 2])
      expect(histories[0]!.id).toBeLessThan(histories[1]!.id)
      expect(histories[1]!.id).toBeLessThan(histories[2]!.id)
      expect(histories[2]).toMatchObject({ skip: true, archivedTime: null, inputs: { retry: 2 } })
    })

    it('reads a node with its data and its state in one query, and finds stored node ids', async () => {
      const [a, b] = [uniqueId('a'), uniqueId('b')]
      const node = (id: string) => ({
        id,
        type: 'ServiceActivity',
        name: id,
        pipelineId: 'root',
        rootPipelineId: 'root',
        targets: [],
        canSkip: true,
        canRetry: true,
        errorIgnorable: false,
      })
      await runtime.createNodes([node(a), node(b)])
      await runtime.setData(a, { inputs: { x: { needRender: false, value: 1 } }, outputs: {} })
      const state = stateRecord({ nodeId: a, retry: 2, skip: true })
      await runtime.createState(state)
      expect(await runtime.getNodeWithData(a)).toEqual({
        node: node(a),
        data: { inputs: { x: { needRender: false, value: 1 } }, outputs: {} },
        state,
      })
      expect(await runtime.getNodeWithData(b)).toEqual({
        node: node(b),
        data: undefined,
        state: undefined,
      })
      expect(await runtime.getNodeWithData(uniqueId('missing'))).toBeUndefined()
      expect(await runtime.findNodeIds([uniqueId('missing'), b, a])).toEqual([b, a])
    })

    it('keeps pipelines, nodes, data and execution data as JSON documents', async () => {
      const id = uniqueId('p')
      const tree = { id, activities: { a: { name: 'ünïcode ✓', list: [1, null, true] } } }
      await runtime.createPipeline({
        id,
        tree,
        rootPipelineData: { operator: 'me' },
        createdTime: 1_700_000_000_001,
      })
      expect(await runtime.getPipeline(id)).toEqual({
        id,
        tree,
        rootPipelineData: { operator: 'me' },
        createdTime: 1_700_000_000_001,
      })
      const node = {
        id,
        type: 'ServiceActivity',
        name: 'a',
        pipelineId: 'root',
        rootPipelineId: 'root',
        targets: [{ flowId: 'f', targetId: 't' }],
        canSkip: true,
        canRetry: true,
        errorIgnorable: false,
        component: { code: 'sleep_timer', version: 'legacy' },
      }
      await runtime.createNodes([node])
      expect(await runtime.getNode(id)).toEqual(node)
      const data = { inputs: { k: { needRender: true, value: '${x}' } }, outputs: { o: ['${o}'] } }
      await runtime.setDataBatch([[id, data]])
      expect(await runtime.getData(id)).toEqual(data)
      await runtime.setData(id, { inputs: {}, outputs: {} })
      expect(await runtime.getData(id)).toEqual({ inputs: {}, outputs: {} })
      await runtime.setExecutionData(id, {
        inputs: { a: 1 },
        outputs: { big: 'x'.repeat(100_000) },
      })
      await runtime.setExecutionData(id, { inputs: { a: 2 }, outputs: { _result: true } })
      expect(await runtime.getExecutionData(id)).toEqual({
        inputs: { a: 2 },
        outputs: { _result: true },
      })
      for (const missing of [
        runtime.getPipeline(uniqueId('x')),
        runtime.getNode(uniqueId('x')),
        runtime.getData(uniqueId('x')),
        runtime.getExecutionData(uniqueId('x')),
        runtime.getSchedule(uniqueId('x')),
        runtime.getProcess(uniqueId('x')),
      ]) {
        expect(await missing).toBeUndefined()
      }
    })

    it('rolls back every write of a step that throws', async () => {
      const nodeId = uniqueId('n')
      await runtime.createState(stateRecord({ nodeId }))
      const failure = new StoreError('CONFLICT', 'the step failed')
      await expect(
        runtime.transaction(async (tx) => {
          await tx.updateState(nodeId, 'v1', { name: 'FINISHED', version: 'v2' })
          await tx.createProcesses([processRecord(`${nodeId}-p`)])
          throw failure
        }),
      ).rejects.toBe(failure)
      expect(await runtime.getState(nodeId)).toMatchObject({ name: 'RUNNING', version: 'v1' })
      expect(await runtime.getProcess(`${nodeId}-p`)).toBeUndefined()
    })

    it('runs a transaction inside a transaction as part of it', async () => {
      const nodeId = uniqueId('n')
      const result = await runtime.transaction(async (tx) => {
        const inner = await tx.transaction(async (nested) => {
          expect(nested).toBe(tx)
          return nested.createState(stateRecord({ nodeId }))
        })
        expect(await tx.getState(nodeId)).toBeDefined()
        return inner
      })
      expect(result).toBe(true)
    })

    if (database === 'mysql') {
      it('retries a step that deadlocks, so that both steps commit once', async () => {
        const retries: unknown[] = []
        const retrying = new KyselyRuntime(store.db, { onRetry: (error) => retries.push(error) })
        const [a, b] = [uniqueId('a'), uniqueId('b')]
        await retrying.createProcesses([processRecord(a), processRecord(b)])
        let attempts = 0
        const bothHoldOneRow = barrier(2)
        const step = (first: string, second: string) =>
          retrying.transaction(async (tx) => {
            attempts++
            await tx.addAck(first)
            if (attempts <= 2) await bothHoldOneRow()
            await tx.addAck(second)
          })
        await Promise.all([step(a, b), step(b, a)])
        expect(attempts).toBe(3)
        expect(retries).toMatchObject([{ errno: 1213, code: 'ER_LOCK_DEADLOCK' }])
        expect((await runtime.getProcess(a))?.ackNum).toBe(2)
        expect((await runtime.getProcess(b))?.ackNum).toBe(2)
      })

      it('gives a deadlocked step up as CONFLICT once its attempts are spent', async () => {
        const once = new KyselyRuntime(store.db, { maxAttempts: 1 })
        const [a, b] = [uniqueId('a'), uniqueId('b')]
        await once.createProcesses([processRecord(a), processRecord(b)])
        const bothHoldOneRow = barrier(2)
        const step = (first: string, second: string) =>
          once.transaction(async (tx) => {
            await tx.addAck(first)
            await bothHoldOneRow()
            await tx.addAck(second)
          })
        const results = await Promise.allSettled([step(a, b), step(b, a)])
        const failed = results.filter((r) => r.status === 'rejected')
        expect(failed).toHaveLength(1)
        expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({
          name: 'StoreError',
          code: 'CONFLICT',
        })
      })
    }
  })
}
