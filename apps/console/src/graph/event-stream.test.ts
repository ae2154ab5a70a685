import { describe, expect, it } from 'vitest'
import { EventStreamParser, openEventStream, type ServerSentEvent } from './event-stream.js'

describe('EventStreamParser', () => {
  it('reads named events with JSON data', () => {
    const parser = new EventStreamParser()
    const events = parser.push('event: node\ndata: {"node_id":"a"}\n\nevent: run\ndata: {}\n\n')
    expect(events).toEqual([
      { event: 'node', data: '{"node_id":"a"}' },
      { event: 'run', data: '{}' },
    ])
  })

  it('joins an event split across chunks anywhere, even inside a line', () => {
    const parser = new EventStreamParser()
    const text = 'event: snapshot\ndata: {"run":1}\n\n'
    const events: ServerSentEvent[] = []
    for (const char of text) events.push(...parser.push(char))
    expect(events).toEqual([{ event: 'snapshot', data: '{"run":1}' }])
  })

  it('joins several data lines with newlines and names an unnamed event message', () => {
    expect(new EventStreamParser().push('data: a\ndata: b\n\n')).toEqual([
      { event: 'message', data: 'a\nb' },
    ])
  })

  it('ignores comments such as the keep-alive ping, and events without data', () => {
    expect(new EventStreamParser().push(': ping\n\nevent: x\n\n')).toEqual([])
  })

  it('accepts CRLF and CR line ends, a CRLF split between chunks included', () => {
    const parser = new EventStreamParser()
    expect(parser.push('data: one\r')).toEqual([])
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'one' }])
    expect(parser.push('data: two\r\r')).toEqual([{ event: 'message', data: 'two' }])
  })

  it('keeps the last id and a numeric retry, and a field without a colon', () => {
    const events = new EventStreamParser().push('id: 7\nretry: 3000\nretry: soon\ndata\n\n')
    expect(events).toEqual([{ event: 'message', data: '', id: '7', retry: 3000 }])
  })

  it('keeps one leading space of a value only', () => {
    expect(new EventStreamParser().push('data:  two spaces\ndata:none\n\n')).toEqual([
      { event: 'message', data: ' two spaces\nnone' },
    ])
  })
})

/** A response whose body streams the given chunks, then ends. */
function streamOf(chunks: string[], status = 200): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
      controller.close()
    },
  })
  return new Response(body, { status, headers: { 'content-type': 'text/event-stream' } })
}

describe('openEventStream', () => {
  it('sends the bearer header, delivers events, and reconnects when the stream ends', async () => {
    const seen: RequestInit[] = []
    const answers = [
      streamOf(['event: snapshot\ndata: 1\n\n']),
      streamOf(['event: snapshot\ndata: 2\n', '\nevent: node\ndata: 3\n\n']),
    ]
    const events: string[] = []
    const waits: number[] = []
    let close = () => {}
    const done = new Promise<void>((resolve) => {
      close = openEventStream(
        {
          url: '/api/runs/p1/events',
          token: () => 'tok',
          fetch: (async (_url: RequestInfo | URL, init?: RequestInit) => {
            seen.push(init ?? {})
            const next = answers.shift()
            if (!next) {
              resolve()
              return new Promise<Response>(() => {})
            }
            return next
          }) as typeof fetch,
          delays: [5, 50],
          sleep: async (ms) => {
            waits.push(ms)
          },
        },
        { onEvent: (e) => events.push(`${e.event}:${e.data}`) },
      )
    })
    await done
    close()
    expect(events).toEqual(['snapshot:1', 'snapshot:2', 'node:3'])
    expect(seen).toHaveLength(3)
    expect((seen[0]!.headers as Record<string, string>).authorization).toBe('Bearer tok')
    expect(waits).toEqual([5, 5])
  })

  it('backs off longer after each failed connection', async () => {
    const waits: number[] = []
    let calls = 0
    let close = () => {}
    await new Promise<void>((resolve) => {
      close = openEventStream(
        {
          url: '/e',
          token: () => 't',
          fetch: (async () => {
            calls += 1
            if (calls === 4) resolve()
            return new Response('down', { status: 502 })
          }) as unknown as typeof fetch,
          delays: [1, 2, 3],
          sleep: async (ms) => {
            waits.push(ms)
          },
        },
        { onEvent: () => {} },
      )
    })
    close()
    expect(waits.slice(0, 3)).toEqual([1, 2, 3])
  })

  it('stops on a refused token instead of retrying', async () => {
    const statuses: string[] = []
    let calls = 0
    await new Promise<void>((resolve) => {
      openEventStream(
        {
          url: '/e',
          token: () => 'bad',
          fetch: (async () => {
            calls += 1
            return new Response('{}', { status: 401 })
          }) as unknown as typeof fetch,
          sleep: async () => {},
        },
        {
          onEvent: () => {},
          onStatus: (status) => {
            statuses.push(status)
            if (status === 'closed') resolve()
          },
        },
      )
    })
    expect(calls).toBe(1)
    expect(statuses).toEqual(['connecting', 'closed'])
  })
})
