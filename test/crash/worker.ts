/**
 * A worker of the crash test, run as a child process:
 *
 *   node worker.js <mysql-url> <side-effect-log> start|recover <pipeline-id>
 *
 * Opens the MySQL runtime, builds an engine with the test kit and the counted component, then
 * either starts the 200-activity pipeline or recovers what a killed worker left behind, and waits
 * until the pipeline's root is FINISHED. It prints one line per event on stdout:
 * `ready <mode> <json>`, `run <node-id> <n>` (a counted execute call), `finished <count>` (FINISHED
 * states committed) and `done <root-state>`; errors of engine steps go to stderr as `error …`.
 */
import { ComponentRegistry, createEngine, InlineDispatcher } from '@culm/engine'
import { debugNode } from '@culm/plugin-testkit'
import { openRuntime } from '@culm/store'
import { countedComponent, crashTree } from './pipeline.js'

const TIMEOUT_MS = 60_000

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

async function main(): Promise<number> {
  const [url, logFile, mode, pipelineId] = process.argv.slice(2)
  if (!url || !logFile || (mode !== 'start' && mode !== 'recover') || !pipelineId) {
    process.stderr.write(
      'usage: node worker.js <mysql-url> <side-effect-log> start|recover <pipeline-id>\n',
    )
    return 64
  }
  const opened = await openRuntime(url)
  let errors = 0
  const dispatcher = new InlineDispatcher({
    onError: (error, task) => {
      errors++
      process.stderr.write(`error ${JSON.stringify(task)} ${describeError(error)}\n`)
    },
  })
  const components = new ComponentRegistry().register(
    debugNode,
    countedComponent(logFile, {
      delayMs: () => 2 + Math.floor(Math.random() * 12),
      onRun: (run) => say(`run ${run.nodeId} ${run.run}`),
    }),
  )
  const engine = createEngine({ runtime: opened.runtime, dispatcher, components })
  try {
    if (mode === 'start') {
      const started = await engine.api.runPipeline({ pipeline: crashTree(pipelineId) })
      if (!started.result) {
        process.stderr.write(`error runPipeline refused: ${started.message}\n`)
        return 1
      }
      say(`ready start ${JSON.stringify(started.data)}`)
    } else {
      say(`ready recover ${JSON.stringify(await engine.recover())}`)
    }
    const deadline = Date.now() + TIMEOUT_MS
    let reported = -1
    for (;;) {
      const states = await opened.runtime.getStatesByRoot(pipelineId)
      const finished = states.filter((s) => s.name === 'FINISHED').length
      if (finished !== reported) say(`finished ${finished}`)
      reported = finished
      const root = await opened.runtime.getState(pipelineId)
      if (root && root.name !== 'RUNNING') {
        say(`done ${root.name}`)
        return root.name === 'FINISHED' && errors === 0 ? 0 : 1
      }
      if (Date.now() > deadline) {
        process.stderr.write(`timeout: root is ${root?.name ?? 'missing'} after ${TIMEOUT_MS} ms\n`)
        return 1
      }
      await Promise.race([engine.idle(), new Promise((resolve) => setTimeout(resolve, 50))])
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    dispatcher.close()
    await opened.close()
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`error ${describeError(error)}\n`)
    process.exitCode = 1
  },
)
