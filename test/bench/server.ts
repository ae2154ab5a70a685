import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { createScratchDatabase } from '@culm/store/testing'
import { replaceIds } from '@culm/tree'
import autocannon from 'autocannon'
import { act, sequence } from '../conformance/trees.js'
import { report } from './measure.js'

/**
 * The server under load on MySQL: the real `main.js` in its own process (as `npm start` runs it,
 * logging warnings only) over a fresh scratch database, driven by autocannon over HTTP with a
 * token: `run_pipeline` of a three-node tree (fresh ids each request), `get_pipeline_states` of
 * pipelines already started, and both in turn on each connection.
 */

const MAIN = join(dirname(fileURLToPath(import.meta.resolve('@culm/server'))), 'main.js')
/** Seconds of each load run. */
const SECONDS = Number(process.env.CULM_BENCH_SERVER_SECONDS ?? 10)
/** Connections autocannon keeps open. */
const CONNECTIONS = 16

interface ServerProcess {
  child: ChildProcess
  url: string
  token: string
  exit: Promise<number | null>
}

function startServer(databaseUrl: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, CULM_DATABASE_URL: databaseUrl, CULM_PORT: '0', CULM_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const url = /Culm listens on (\S+)[ \n]/.exec(output)?.[1]
      const token = /First admin token[^:]*: (\S+)/.exec(output)?.[1]
      if (url && token) resolve({ child, url, token, exit })
    })
    void exit.then((code) => reject(new TypeError(`the server exited with ${code}:\n${output}`)))
  })
}

const baseTree = sequence(act('debug_node', { greeting: 'hello' }))
const runBody = () => JSON.stringify({ pipeline: replaceIds(baseTree).tree })

function printResult(name: string, result: autocannon.Result): void {
  report(name, {
    'req/s': result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  })
}

/** Waits (polling, at most a minute) until every started pipeline has FINISHED, so that the next run reads an idle engine. */
async function waitFinished(
  server: ServerProcess,
  headers: Record<string, string>,
  ids: string[],
): Promise<{ ms: number; finished: boolean }> {
  const started = performance.now()
  let pending = [...ids]
  while (pending.length > 0 && performance.now() - started < 60_000) {
    const still: string[] = []
    for (const id of pending) {
      const answer = await fetch(`${server.url}/api/bamboo/get_pipeline_states`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ root_id: id }),
      })
      const body = (await answer.json()) as { data: Record<string, { state: string }> }
      if (body.data[id]?.state !== 'FINISHED') still.push(id)
    }
    pending = still
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return { ms: performance.now() - started, finished: pending.length === 0 }
}

/** Runs the load runs and prints requests per second and latencies. */
export async function benchServer(): Promise<void> {
  console.log(
    `\nServer on MySQL (main.js in its own process, ${CONNECTIONS} connections, ${SECONDS} s per run)`,
  )
  const scratch = await createScratchDatabase()
  let server: ServerProcess | undefined
  try {
    server = await startServer(scratch.url)
    const headers = {
      authorization: `Bearer ${server.token}`,
      'content-type': 'application/json',
    }
    const started: string[] = []
    const runs = await autocannon({
      url: `${server.url}/api/bamboo/run_pipeline`,
      method: 'POST',
      headers,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          setupRequest: (request) => ({ ...request, body: runBody() }),
          onResponse: (status, body) => {
            if (status === 200)
              started.push((JSON.parse(body) as { data: { pipeline_id: string } }).data.pipeline_id)
          },
        },
      ],
    })
    printResult('run_pipeline (3 nodes)', runs)
    const drained = await waitFinished(server, headers, started)
    report('  engine catching up after the run', {
      ms: drained.ms,
      finished: drained.finished ? 'all' : 'not all',
      pipelines: started.length,
    })

    let next = 0
    const reads = await autocannon({
      url: `${server.url}/api/bamboo/get_pipeline_states`,
      method: 'POST',
      headers,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ root_id: started[next++ % started.length] }),
          }),
        },
      ],
    })
    printResult('get_pipeline_states', reads)

    const mixed = await autocannon({
      url: server.url,
      method: 'POST',
      headers,
      connections: CONNECTIONS,
      duration: SECONDS,
      requests: [
        {
          path: '/api/bamboo/run_pipeline',
          setupRequest: (request) => ({ ...request, body: runBody() }),
          onResponse: (_status, body, context) => {
            ;(context as { id?: string }).id = (
              JSON.parse(body) as { data?: { pipeline_id: string } }
            ).data?.pipeline_id
          },
        },
        {
          path: '/api/bamboo/get_pipeline_states',
          setupRequest: (request, context) => ({
            ...request,
            body: JSON.stringify({ root_id: (context as { id?: string }).id ?? 'pnone' }),
          }),
        },
      ],
    })
    printResult('run_pipeline + get_pipeline_states in turn', mixed)
  } finally {
    server?.child.kill('SIGTERM')
    await server?.exit
    await scratch.drop()
  }
}
