import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Answer, DATABASES, startTestServer, type TestServer } from './harness.js'
import { act, sequence } from './trees.js'

function ok(answer: Answer, status = 200): Answer {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  return answer
}

interface Event {
  event: string
  // biome-ignore lint/suspicious/noExplicitAny: events are read by field
  data: any
}

/** A run's event stream read with fetch and the bearer header, as the console reads it. */
async function openStream(url: string, token: string) {
  const abort = new AbortController()
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  })
  const events: Event[] = []
  const waiters: Array<() => void> = []
  let text = ''
  /** Set when the server ended the stream itself (not the test's abort, not a broken socket). */
  let endedByServer = false
  const reading = (async () => {
    if (!response.body) return
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body) {
        text += decoder.decode(chunk as Uint8Array, { stream: true })
        let end = text.indexOf('\n\n')
        while (end >= 0) {
          const block = text.slice(0, end)
          text = text.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n')
          if (event) events.push({ event, data: JSON.parse(data) })
          for (const wake of waiters.splice(0)) wake()
          end = text.indexOf('\n\n')
        }
      }
      endedByServer = true
    } catch {
      // Aborted by the test.
    }
  })()
  return {
    response,
    events,
    get endedByServer() {
      return endedByServer
    },
    /** Waits (at most `ms`) for an event that `match` accepts. */
    async next(match: (e: Event) => boolean, ms = 10_000): Promise<Event> {
      const deadline = Date.now() + ms
      for (;;) {
        const found = events.find(match)
        if (found) return found
        if (Date.now() > deadline) {
          throw new RangeError(`no matching event within ${ms} ms: ${JSON.stringify(events)}`)
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 100)
        })
      }
    },
    async close() {
      abort.abort()
      await reading
    },
  }
}

/** Polls `check` until it holds (at most 5 s): the server notices a closed stream on its own. */
async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new RangeError('condition not met within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

for (const database of DATABASES) {
  describe(`a run's event stream on ${database}`, () => {
    let t: TestServer
    let alice: { id: number; token: string }
    let bob: { id: number; token: string }

    beforeAll(async () => {
      t = await startTestServer(database, { realClock: true })
      const user = async (name: string) => {
        const created = ok(await t.post('/api/users', { name }), 201).body
        return { id: created.user.id as number, token: created.token as string }
      }
      alice = await user('alice')
      bob = await user('bob')
    })
    afterAll(async () => {
      await t?.close()
    })

    it('sends the snapshot first, then the node change as a slow node finishes, then the run', async () => {
      // Given a run whose only node spends two seconds in execute
      const slow = act('dummy_exec_node', { time: 2 })
      const tree = sequence(slow)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }, alice.token))
      // When alice watches it
      const stream = await openStream(`${t.url}/api/runs/${tree.id}/events`, alice.token)
      expect(stream.response.status).toBe(200)
      expect(stream.response.headers.get('content-type')).toContain('text/event-stream')
      expect(stream.response.headers.get('cache-control')).toBe('no-cache')
      expect(stream.response.headers.get('x-accel-buffering')).toBe('no')
      // Then the snapshot comes first and shows the run running
      const snapshot = await stream.next((e) => e.event === 'snapshot')
      expect(stream.events[0]!.event).toBe('snapshot')
      expect(snapshot.data.run).toMatchObject({ id: tree.id, state: 'RUNNING' })
      expect(snapshot.data.states[tree.id]).toMatchObject({ state: 'RUNNING' })
      // And the node is seen running, in the snapshot or in a change right after it
      await stream.next(
        (e) =>
          (e.event === 'snapshot' && e.data.states[slow.id]?.state === 'RUNNING') ||
          (e.event === 'node' && e.data.node_id === slow.id && e.data.state === 'RUNNING'),
      )
      // And the node's change and the run's arrive as the node finishes
      const finished = await stream.next(
        (e) => e.event === 'node' && e.data.node_id === slow.id && e.data.state === 'FINISHED',
      )
      expect(finished.data).toMatchObject({ parent_id: tree.id, loop: 1, retry: 0 })
      const run = await stream.next((e) => e.event === 'run')
      expect(run.data).toMatchObject({ id: tree.id, state: 'FINISHED' })
      expect(typeof run.data.archived_time).toBe('number')
      await stream.close()
      await eventually(() => t.server.runEvents.watched === 0)
    })

    it('shares one loop per run between watchers, and sends a change written by another server', async () => {
      const waiting = act('callback_node')
      const tree = sequence(waiting)
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await t.settle()
      const first = await openStream(`${t.url}/api/runs/${tree.id}/events`, t.token)
      const second = await openStream(`${t.url}/api/runs/${tree.id}/events`, alice.token)
      expect(second.response.status).toBe(403)
      await second.close()
      const third = await openStream(`${t.url}/api/runs/${tree.id}/events`, t.token)
      await first.next((e) => e.event === 'snapshot')
      await third.next((e) => e.event === 'snapshot')
      expect(t.server.runEvents.watched).toBe(1)
      // A change this server's engine did not make (as another server on the same database
      // would write it), made directly in the store's table: the run's poll finds it.
      await t.store.db
        .updateTable('culm_states')
        .set({ retry: 7 })
        .where('node_id', '=', waiting.id)
        .execute()
      for (const stream of [first, third]) {
        const changed = await stream.next((e) => e.event === 'node' && e.data.retry === 7)
        expect(changed.data).toMatchObject({ node_id: waiting.id, state: 'RUNNING' })
      }
      await first.close()
      await eventually(() => t.server.runEvents.watched === 1)
      await third.close()
      await eventually(() => t.server.runEvents.watched === 0)
    })

    it('ends open streams when the server stops, so that it stops at once', async () => {
      const other = await startTestServer(database)
      const tree = sequence(act('callback_node'))
      ok(await other.post('/api/bamboo/run_pipeline', { pipeline: tree }))
      await other.settle()
      const stream = await openStream(`${other.url}/api/runs/${tree.id}/events`, other.token)
      await stream.next((e) => e.event === 'snapshot')
      await other.close()
      // The stream was ended by the server as it stopped, not cut or left open.
      await stream.close()
      expect(stream.endedByServer).toBe(true)
    })

    it('refuses a user who may not read the run, an unknown run, and a user over their streams', async () => {
      const tree = sequence(act('callback_node'))
      ok(await t.post('/api/bamboo/run_pipeline', { pipeline: tree }, alice.token))
      await t.settle()
      const url = `${t.url}/api/runs/${tree.id}/events`
      const refused = await fetch(url, { headers: { authorization: `Bearer ${bob.token}` } })
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as { code: string }).code).toBe('FORBIDDEN')
      const unknown = await fetch(`${t.url}/api/runs/pnothere/events`, {
        headers: { authorization: `Bearer ${t.token}` },
      })
      expect(unknown.status).toBe(404)
      expect((await fetch(url)).status).toBe(401)
      // A HEAD request holds no stream open.
      for (let i = 0; i < 10; i++) {
        const head = await fetch(url, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${alice.token}` },
        })
        expect(head.status).toBe(200)
        expect(head.headers.get('content-type')).toContain('text/event-stream')
      }
      expect(t.server.runEvents.watched).toBe(0)
      const streams = []
      for (let i = 0; i < 8; i++) streams.push(await openStream(url, alice.token))
      for (const s of streams) await s.next((e) => e.event === 'snapshot')
      const ninth = await fetch(url, { headers: { authorization: `Bearer ${alice.token}` } })
      expect(ninth.status).toBe(429)
      expect(((await ninth.json()) as { message: string }).message).toContain('at most 8')
      // Closing one stream frees its place, once the server has seen it close.
      await streams.pop()!.close()
      let again = await openStream(url, alice.token)
      const deadline = Date.now() + 5000
      while (again.response.status === 429 && Date.now() < deadline) {
        await again.close()
        await new Promise((resolve) => setTimeout(resolve, 50))
        again = await openStream(url, alice.token)
      }
      expect(again.response.status).toBe(200)
      await again.close()
      for (const s of streams) await s.close()
      await eventually(() => t.server.runEvents.watched === 0)
    })
  })
}
