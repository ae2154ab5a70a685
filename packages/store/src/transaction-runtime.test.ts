import type { NodeRecord, Runtime, ScheduleRecord } from '@culm/engine'
import { type KyselyPlugin, type RootOperationNode, sql } from 'kysely'
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

/** Counts the statements a Kysely instance sends, by kind. */
class StatementCounter implements KyselyPlugin {
  counts = { select: 0, insert: 0, update: 0, other: 0 }

  transformQuery(args: { node: RootOperationNode }): RootOperationNode {
    const kind = args.node.kind
    if (kind === 'SelectQueryNode') this.counts.select++
    else if (kind === 'InsertQueryNode') this.counts.insert++
    else if (kind === 'UpdateQueryNode') this.counts.update++
    else this.counts.other++
    return args.node
  }

  async transformResult<T>(args: { result: T }): Promise<T> {
    return args.result
  }

  reset(): void {
    this.counts = { select: 0, insert: 0, update: 0, other: 0 }
  }
}

const scheduleRecord = (
  id: string,
  nodeId: string,
  type: ScheduleRecord['type'] = 'callback',
): ScheduleRecord => ({
  id,
  type,
  processId: 'p',
  nodeId,
  version: 'v1',
  finished: false,
  expired: false,
  scheduling: false,
  times: 0,
  dueAt: null,
})

/** Node definitions of a sequence: each node's one target is the next id. */
const chainOf = (ids: string[]): NodeRecord[] =>
  ids.map((id, i) => ({
    id,
    type: 'ServiceActivity',
    name: '',
    pipelineId: 'root',
    rootPipelineId: 'root',
    targets: ids[i + 1] ? [{ flowId: `f-${id}`, targetId: ids[i + 1]! }] : [],
    canSkip: true,
    canRetry: true,
    errorIgnorable: false,
  }))

for (const database of DATABASES) {
  describe(`a transaction of KyselyRuntime on ${database}`, () => {
    const folder = tempFolder()
    let store: OpenedRuntime
    let runtime: KyselyRuntime
    const counter = new StatementCounter()

    beforeAll(async () => {
      store = await openTestStore(database, folder.path)
      runtime = new KyselyRuntime(store.db.withPlugin(counter), { flavor: store.flavor })
    })

    afterAll(async () => {
      await store?.close()
      folder.remove()
    })

    it('reads each record once and writes a chain of steps as a few batched statements', async () => {
      const processId = uniqueId('p')
      const nodes = [uniqueId('a'), uniqueId('b'), uniqueId('c'), uniqueId('d')]
      await runtime.createProcesses([processRecord(processId)])
      await runtime.setDataBatch(
        nodes.map((id) => [id, { inputs: { id: { needRender: false, value: id } }, outputs: {} }]),
      )
      counter.reset()
      await runtime.transaction(async (tx) => {
        for (const nodeId of nodes) {
          await tx.getProcess(processId)
          await tx.updateProcess(processId, { currentNodeId: nodeId })
          expect(await tx.getState(nodeId)).toBeUndefined()
          expect(await tx.createState(stateRecord({ nodeId }))).toBe(true)
          expect((await tx.getData(nodeId))?.inputs).toEqual({
            id: { needRender: false, value: nodeId },
          })
          await tx.createSchedule(scheduleRecord(`s-${nodeId}`, nodeId))
          expect(await tx.lockSchedule(`s-${nodeId}`)).toBe(true)
          expect(await tx.lockSchedule(`s-${nodeId}`)).toBe(false)
          await tx.updateSchedule(`s-${nodeId}`, { finished: true, scheduling: false, times: 1 })
          await tx.setExecutionData(nodeId, { inputs: {}, outputs: { done: nodeId } })
          expect(await tx.getExecutionData(nodeId)).toEqual({
            inputs: {},
            outputs: { done: nodeId },
          })
          expect(await tx.updateState(nodeId, 'v1', { name: 'FINISHED' }, 'RUNNING')).toBe(true)
          expect(await tx.updateState(nodeId, 'v1', { name: 'FAILED' }, 'RUNNING')).toBe(false)
        }
      })
      // Reads: the process once, then a state and the data of each node, and at the commit the
      // process again (under a lock, to compare it with what was read).
      expect(counter.counts.select).toBe(1 + 2 * nodes.length + 1)
      // The process is checked at the commit, so the states wait for the commit too: one statement
      // for the states, one for the execution data, one for the schedules, one for the process.
      expect(counter.counts.insert).toBe(3)
      expect(counter.counts.update + counter.counts.other).toBe(1)

      expect((await runtime.getProcess(processId))?.currentNodeId).toBe(nodes.at(-1))
      for (const nodeId of nodes) {
        expect(await runtime.getState(nodeId)).toMatchObject({ name: 'FINISHED', version: 'v1' })
        expect(await runtime.getSchedule(`s-${nodeId}`)).toMatchObject({
          finished: true,
          scheduling: false,
          times: 1,
        })
        expect((await runtime.getExecutionData(nodeId))?.outputs).toEqual({ done: nodeId })
      }
    })

    it('does not write a poll it created and finished, and writes one that is still due', async () => {
      const [done, due, waiting] = [uniqueId('done'), uniqueId('due'), uniqueId('waiting')]
      await runtime.transaction(async (tx) => {
        await tx.createSchedule(scheduleRecord(`s-${done}`, done, 'poll'))
        await tx.updateSchedule(`s-${done}`, { finished: true, times: 1 })
        await tx.createSchedule(scheduleRecord(`s-${due}`, due, 'poll'))
        await tx.updateSchedule(`s-${due}`, { times: 1, dueAt: 1_700_000_001_000 })
        await tx.createSchedule(scheduleRecord(`s-${waiting}`, waiting, 'callback'))
        await tx.updateSchedule(`s-${waiting}`, { finished: true })
      })
      expect(await runtime.getSchedule(`s-${done}`)).toBeUndefined()
      expect(await runtime.findSchedule(done, 'v1')).toBeUndefined()
      expect(await runtime.getSchedule(`s-${due}`)).toMatchObject({ finished: false, times: 1 })
      expect(await runtime.getSchedule(`s-${waiting}`)).toMatchObject({ finished: true })
    })

    it('reads the nodes of a chain ahead, more of them with every read', async () => {
      const ids = Array.from({ length: 8 }, (_, i) => uniqueId(`n${i}`))
      // Written through a transaction, so the runtime knows the definitions (they never change).
      await runtime.transaction(async (tx) => {
        await tx.createNodes(chainOf(ids))
        await tx.setDataBatch(ids.map((id) => [id, { inputs: {}, outputs: { [id]: [id] } }]))
      })
      await runtime.createState(stateRecord({ nodeId: ids[2]!, name: 'FINISHED' }))

      counter.reset()
      const seen = await runtime.transaction(async (tx) => {
        const found: Array<{ state: string | null; data: unknown }> = []
        for (const id of ids) {
          found.push({
            state: (await tx.getState(id))?.name ?? null,
            data: (await tx.getData(id))?.outputs,
          })
        }
        return found
      })
      expect(seen).toEqual(
        ids.map((id, i) => ({ state: i === 2 ? 'FINISHED' : null, data: { [id]: [id] } })),
      )
      // The first node alone, then 1 + 1, 1 + 2 and 1 + 4 nodes.
      expect(counter.counts.select).toBe(4)

      // A node and its state asked for at once come from one query.
      counter.reset()
      await runtime.transaction(async (tx) => {
        const [node, state] = await Promise.all([tx.getNode(ids[5]!), tx.getState(ids[5]!)])
        expect(node?.id).toBe(ids[5])
        expect(state).toBeUndefined()
      })
      expect(counter.counts.select).toBe(1)
    })

    it('answers its own writes before they are written, and writes them before a search', async () => {
      const pipelineId = uniqueId('pipe')
      const processId = uniqueId('p')
      const nodeId = uniqueId('n')
      await runtime.createProcesses([processRecord(processId, { rootPipelineId: pipelineId })])
      await runtime.createState(stateRecord({ nodeId, rootId: pipelineId }))
      await runtime.upsertContext(pipelineId, { '${a}': { type: 'plain', value: 1 } })
      await runtime.transaction(async (tx) => {
        await tx.updateProcess(processId, { suspended: true, suspendedBy: pipelineId })
        expect(await tx.getProcess(processId)).toMatchObject({ suspended: true })
        await tx.updateProcess(processId, { ackNum: 5 })
        expect(await tx.addAck(processId)).toBe(6)
        expect(await tx.addAck(processId)).toBe(7)
        expect((await tx.getProcess(processId))?.ackNum).toBe(7)
        await tx.upsertContext(pipelineId, { '${b}': { type: 'plain', value: 2 } })
        expect(Object.keys(await tx.getContext(pipelineId))).toEqual(['${a}', '${b}'])
        await tx.upsertContext(pipelineId, { '${a}': { type: 'plain', value: 3 } })
        expect((await tx.getContext(pipelineId))['${a}']?.value).toBe(3)
        expect(await tx.updateState(nodeId, 'v1', { name: 'SUSPENDED' }, 'RUNNING')).toBe(true)
        expect((await tx.getStatesByRoot(pipelineId)).map((s) => s.name)).toEqual(['SUSPENDED'])
        const found = await tx.findProcesses({ suspendedBy: pipelineId })
        expect(found.map((p) => p.id)).toEqual([processId])
        await tx.addHistory({
          nodeId,
          loop: 1,
          retry: 0,
          skip: false,
          version: 'v1',
          startedTime: null,
          archivedTime: null,
          inputs: {},
          outputs: {},
        })
        expect(await tx.getHistories(nodeId)).toHaveLength(1)
        // After a write-out, later changes are still checked against what the database holds.
        expect(await tx.updateState(nodeId, 'v1', { version: 'v2' }, 'SUSPENDED')).toBe(true)
      })
      expect(await runtime.getState(nodeId)).toMatchObject({ name: 'SUSPENDED', version: 'v2' })
      expect((await runtime.getContext(pipelineId))['${a}']?.value).toBe(3)
    })

    it('refuses a state the node already has in the database', async () => {
      const nodeId = uniqueId('n')
      await runtime.createState(stateRecord({ nodeId, version: 'first' }))
      await runtime.transaction(async (tx) => {
        expect(await tx.createState(stateRecord({ nodeId, version: 'second' }))).toBe(false)
        expect((await tx.getState(nodeId))?.version).toBe('first')
      })
    })
  })
}

// SQLite has one writer (and one connection here): only MySQL has another writer meanwhile.
describe('a transaction of KyselyRuntime on mysql, with another writer', () => {
  const folder = tempFolder()
  let first: OpenedRuntime
  let second: OpenedRuntime

  beforeAll(async () => {
    first = await openTestStore('mysql', folder.path)
    second = await openTestStore('mysql', folder.path)
  })

  afterAll(async () => {
    await first?.close()
    await second?.close()
    folder.remove()
  })

  it('fails its commit with CONFLICT, writing nothing, when another writer changed a state it changed', async () => {
    const nodeId = uniqueId('n')
    const processId = uniqueId('p')
    await first.runtime.createState(stateRecord({ nodeId }))
    await first.runtime.createProcesses([processRecord(processId)])
    const attempt = first.runtime.transaction(async (tx) => {
      expect(await tx.updateState(nodeId, 'v1', { name: 'FINISHED' }, 'RUNNING')).toBe(true)
      await tx.updateProcess(processId, { currentNodeId: 'next' })
      // Another worker fails the node and commits first.
      expect(await second.runtime.updateState(nodeId, 'v1', { name: 'FAILED' }, 'RUNNING')).toBe(
        true,
      )
    })
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).code).toBe('CONFLICT')
    expect(first.runtime.isInterruption(error)).toBe(true)
    expect((await first.runtime.getState(nodeId))?.name).toBe('FAILED')
    expect((await first.runtime.getProcess(processId))?.currentNodeId).toBe('start')
  })

  it('fails its commit with CONFLICT when a state it read ahead of its node changed meanwhile', async () => {
    const ids = [uniqueId('n1'), uniqueId('n2'), uniqueId('n3')]
    await first.runtime.transaction(async (tx) => tx.createNodes(chainOf(ids)))
    await first.runtime.createState(stateRecord({ nodeId: ids[2]!, name: 'FINISHED' }))
    const attempt = first.runtime.transaction(async (tx) => {
      // The second node read brings the third along.
      expect(await tx.getState(ids[0]!)).toBeUndefined()
      expect(await tx.getState(ids[1]!)).toBeUndefined()
      // Another worker changes the third node's state, then this transaction reaches it.
      expect(await second.runtime.updateState(ids[2]!, 'v1', { name: 'RUNNING' })).toBe(true)
      expect((await tx.getState(ids[2]!))?.name).toBe('FINISHED')
      expect(await tx.updateState(ids[2]!, 'v1', { name: 'FAILED' }, 'FINISHED')).toBe(true)
    })
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT' })
    expect((await first.runtime.getState(ids[2]!))?.name).toBe('RUNNING')
  })

  it('checks a guard against the database at the commit, not against what it read before', async () => {
    const nodeId = uniqueId('n')
    const processId = uniqueId('p')
    await first.runtime.createState(stateRecord({ nodeId, name: 'SUSPENDED' }))
    await first.runtime.createProcesses([processRecord(processId)])
    const attempt = first.runtime.transaction(async (tx: Runtime) => {
      expect((await tx.getState(nodeId))?.name).toBe('SUSPENDED')
      // Resumed by another worker after the read.
      await second.runtime.updateState(nodeId, 'v1', { name: 'RUNNING' }, 'SUSPENDED')
      expect(await tx.updateState(nodeId, 'v1', {}, 'SUSPENDED')).toBe(true)
      await tx.updateProcess(processId, { suspended: true, suspendedBy: nodeId })
    })
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await first.runtime.getProcess(processId)).toMatchObject({ suspended: false })
  })

  it('holds no transaction while it reads and decides, and fails its commit when a process it read changed', async () => {
    const processId = uniqueId('p')
    const nodeId = uniqueId('n')
    await first.runtime.createProcesses([processRecord(processId)])
    const attempt = first.runtime.transaction(async (tx) => {
      await tx.getProcess(processId)
      expect(await tx.getState(nodeId)).toBeUndefined()
      expect(await tx.createState(stateRecord({ nodeId }))).toBe(true)
      await tx.updateProcess(processId, { currentNodeId: nodeId })
      // Nothing of the store's database is in a transaction, so another worker is not held up.
      expect(await openTransactions(first)).toBe(0)
      await second.runtime.updateProcess(processId, { asleep: true })
    })
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await first.runtime.getState(nodeId)).toBeUndefined()
    expect(await first.runtime.getProcess(processId)).toMatchObject({
      currentNodeId: 'start',
      asleep: true,
    })
  })

  it('fails a commit with CONFLICT when a state it created waiting for the commit exists by then', async () => {
    const processId = uniqueId('p')
    const nodeId = uniqueId('n')
    await first.runtime.createProcesses([processRecord(processId)])
    const error = await first.runtime
      .transaction(async (tx) => {
        await tx.getProcess(processId)
        expect(await tx.getState(nodeId)).toBeUndefined()
        expect(await tx.createState(stateRecord({ nodeId, version: 'mine' }))).toBe(true)
        expect(await second.runtime.createState(stateRecord({ nodeId, version: 'theirs' }))).toBe(
          true,
        )
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect((error as StoreError).code).toBe('CONFLICT')
    expect((await first.runtime.getState(nodeId))?.version).toBe('theirs')
  })

  it('gives back a schedule lock it took when it does not commit', async () => {
    const scheduleId = uniqueId('s')
    const processId = uniqueId('p')
    await first.runtime.createProcesses([processRecord(processId)])
    await first.runtime.createSchedule(scheduleRecord(scheduleId, uniqueId('n')))
    const attempt = first.runtime.transaction(async (tx) => {
      await tx.getProcess(processId)
      expect(await tx.lockSchedule(scheduleId)).toBe(true)
      // Taken at once, outside any transaction: another worker finds it held.
      expect(await second.runtime.lockSchedule(scheduleId)).toBe(false)
      await tx.updateProcess(processId, { asleep: true })
      await second.runtime.updateProcess(processId, { currentNodeId: 'elsewhere' })
    })
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await first.runtime.getSchedule(scheduleId)).toMatchObject({ scheduling: false })
    expect(await second.runtime.lockSchedule(scheduleId)).toBe(true)
  })
})

/** How many transactions are open on the MySQL database of a store. */
async function openTransactions(store: OpenedRuntime): Promise<number> {
  const { database } = (
    await sql<{ database: string }>`select database() as ${sql.ref('database')}`.execute(store.db)
  ).rows[0]!
  const rows = await sql<{ n: number }>`select count(*) as n from information_schema.INNODB_TRX t
    join information_schema.PROCESSLIST p on p.ID = t.trx_mysql_thread_id where p.DB = ${database}`.execute(
    store.db,
  )
  return Number(rows.rows[0]?.n ?? 0)
}
