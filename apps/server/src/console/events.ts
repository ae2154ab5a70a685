import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type SSEStreamingApi, streamSSE } from 'hono/streaming'
import { type AppEnv, BEARER } from '../http.js'
import { fail, valid } from './lists.js'
import type { RunEvent, RunEvents } from './run-events.js'
import type { RunReader } from './run-reader.js'
import { engineId } from './schemas.js'

/** How many events may wait for a client that reads slowly before its stream is ended. */
export const MAX_QUEUED = 10_000

/** How often an idle stream sends a `: ping` comment, so that proxies keep it open. */
export const PING_MS = 15_000

/** `GET /api/runs/{id}/events`: the run's snapshot, then its state changes, as server-sent events. */
export function registerRunEventRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: { runs: RunReader; events: RunEvents },
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/runs/{id}/events',
      tags: ['console'],
      security: BEARER,
      summary: "A run's live state: a snapshot, then each node and run change (server-sent events)",
      description:
        'Events: `snapshot` (`{ run, states }`, first), `node` (one NodeState that changed), `run` ' +
        "(the Run when the root's state changes); a `: ping` comment every 15 s. The stream ends " +
        'when the client goes away. Read it with fetch and the bearer header.',
      request: { params: z.object({ id: engineId }) },
      responses: {
        200: {
          description: 'The event stream',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        400: fail('A malformed id'),
        403: fail('The caller may not read this run'),
        404: fail('No such run'),
        429: fail('Too many open streams for this user'),
      },
    }),
    (async (c: Context<AppEnv>) => {
      const { id } = valid<{ id: string }>(c, 'param')
      const user = c.get('user')
      await deps.runs.assertReadable(user, id)
      // A HEAD request reads no body: it must not hold a stream open.
      if (c.req.method === 'HEAD') {
        return c.body(null, 200, {
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache',
        })
      }
      const queue: RunEvent[] = []
      let open = true
      let wake: (() => void) | undefined
      let stop: () => void = () => undefined
      let sse: SSEStreamingApi | undefined
      // Ends the stream whatever it waits for: the client went away, read too slowly, or the
      // server is closing.
      const end = () => {
        if (!open) return
        open = false
        stop()
        wake?.()
        sse?.abort()
      }
      stop = await deps.events.subscribe(user, id, {
        send: (event) => {
          // A client that stopped reading is let go rather than buffered for: on reconnecting it
          // gets a fresh snapshot.
          if (queue.length >= MAX_QUEUED) return end()
          queue.push(event)
          wake?.()
        },
        end,
      })
      if (!open) stop()
      const signal = c.req.raw.signal
      // Proxies that buffer answers (nginx) would hold the events back.
      c.header('X-Accel-Buffering', 'no')
      return streamSSE(c, async (stream) => {
        sse = stream
        stream.onAbort(end)
        signal.addEventListener('abort', end, { once: true })
        if (signal.aborted) end()
        const ping = setInterval(() => {
          void stream.write(': ping\n\n')
        }, PING_MS)
        try {
          while (open) {
            while (queue.length > 0 && open) {
              const next = queue.shift()!
              await stream.writeSSE({ event: next.event, data: JSON.stringify(next.data) })
            }
            if (!open) break
            await new Promise<void>((resolve) => {
              wake = resolve
            })
            wake = undefined
          }
        } finally {
          clearInterval(ping)
          if (open) {
            open = false
            stop()
          }
        }
      })
    }) as never,
  )
}
