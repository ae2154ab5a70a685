import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../apps/server/dist/main.js', import.meta.url))
/** The admin token the servers of these suites start with. */
export const TOKEN = 'culm-plugin-suites-admin-token'

/** A server process started as `npm start` starts it. */
export interface ServerProcess {
  url: string
  child: ChildProcess
  /** What it printed so far. */
  output(): string
  /** Waits until it prints a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>
  stop(): void
}

/** Starts `apps/server/dist/main.js` with these settings and waits for its URL. */
export function startServer(env: Record<string, string>, cwd: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { ...process.env, CULM_PORT: '0', CULM_ADMIN_TOKEN: TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = []
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(output)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      if (pattern.test(output)) resolve()
      else waiters.push({ pattern, resolve })
    })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
    void waitFor(/Culm listens on (\S+)/).then(() => {
      const url = /Culm listens on (\S+)/.exec(output)?.[1] as string
      resolve({ url, child, output: () => output, waitFor, stop: () => child.kill('SIGTERM') })
    })
  })
}

/** Calls a bamboo API function with the admin token. */
export async function bamboo(
  url: string,
  fn: string,
  body: unknown,
): Promise<{ result: boolean; data: unknown; message: string }> {
  const response = await fetch(`${url}/api/bamboo/${fn}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return (await response.json()) as { result: boolean; data: unknown; message: string }
}

/** A tree of one activity, with fixed ids: start -> activity -> end. */
export interface OneActivityTree {
  id: string
  activities: Record<string, unknown>
}

/**
 * Runs a tree of one activity over HTTP until it finishes or fails; answers the pipeline's
 * state and the activity's outputs.
 */
export async function runTree(
  url: string,
  tree: OneActivityTree,
): Promise<{ state: string; outputs: Record<string, unknown> }> {
  const started = await bamboo(url, 'run_pipeline', { pipeline: tree })
  if (!started.result) return { state: `refused: ${started.message}`, outputs: {} }
  let state = ''
  for (let i = 0; i < 200 && state !== 'FINISHED' && state !== 'FAILED'; i++) {
    const states = await bamboo(url, 'get_pipeline_states', { root_id: tree.id })
    state = (states.data as Record<string, { state: string }>)[tree.id]?.state ?? ''
    if (state !== 'FINISHED') await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const node = Object.keys(tree.activities)[0] as string
  const outputs = await bamboo(url, 'get_execution_data_outputs', { node_id: node })
  return { state, outputs: outputs.data as Record<string, unknown> }
}

/** A fresh id: a letter and 32 hex digits. */
function id(letter: string): string {
  return letter + randomBytes(16).toString('hex')
}

/** start -> one activity running `code` with plain inputs -> end, with fresh ids. */
export function oneActivityTree(
  code: string,
  inputs: Record<string, unknown>,
  version?: string,
): OneActivityTree {
  const [start, activity, end, into, out] = [id('e'), id('a'), id('e'), id('f'), id('f')]
  const component: Record<string, unknown> = {
    code,
    inputs: Object.fromEntries(
      Object.entries(inputs).map(([key, value]) => [key, { type: 'plain', value }]),
    ),
  }
  if (version) component.version = version
  const flow = (flowId: string, source: string, target: string) => ({
    id: flowId,
    source,
    target,
    is_default: false,
  })
  return {
    id: id('p'),
    start_event: { id: start, name: '', type: 'EmptyStartEvent', incoming: '', outgoing: into },
    activities: {
      [activity]: {
        id: activity,
        name: code,
        type: 'ServiceActivity',
        incoming: [into],
        outgoing: out,
        error_ignorable: false,
        timeout: null,
        skippable: true,
        retryable: true,
        optional: false,
        component,
      },
    },
    end_event: { id: end, name: '', type: 'EmptyEndEvent', incoming: [out], outgoing: '' },
    gateways: {},
    flows: { [into]: flow(into, start, activity), [out]: flow(out, activity, end) },
    data: { inputs: {}, outputs: [] },
  } as OneActivityTree
}
