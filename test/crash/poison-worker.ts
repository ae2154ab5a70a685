/**
 * A worker of the poison-step test, run as a child process:
 *
 *   node poison-worker.js <database-url> start|recover <pipeline-id> <killer-node-id> [kill|hang]
 *
 * Its engine has the test kit's `debug_node` and `poison_node`, whose execute kills the process
 * (`kill`) or blocks its event loop for good (`hang`: the server's watchdog, set to two seconds,
 * kills it).
 * `start` runs `start -> debug_node -> poison_node -> debug_node -> end`; `recover` picks up
 * what a killed worker left behind. A worker that lives until nothing runs prints
 * `quiet <json of the killer node's state and outputs>` and exits 0.
 */
import { ComponentRegistry, createEngine, InlineDispatcher } from '@culm/engine'
import { debugNode } from '@culm/plugin-testkit'
import { startWatchdog } from '@culm/server'
import { openRuntime } from '@culm/store'
import { poisonTree } from './pipeline.js'

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<number> {
  const [url, mode, pipelineId, killerId, how = 'kill'] = process.argv.slice(2)
  if (!url || (mode !== 'start' && mode !== 'recover') || !pipelineId || !killerId) {
    process.stderr.write(
      'usage: node poison-worker.js <url> start|recover <pipeline-id> <node-id>\n',
    )
    return 64
  }
  const opened = await openRuntime(url)
  const components = new ComponentRegistry().register(debugNode, {
    code: 'poison_node',
    name: 'Poison node',
    execute() {
      if (how === 'kill') process.kill(process.pid, 'SIGKILL')
      for (;;) {
        // Blocks the event loop: only the watchdog's thread still runs.
      }
    },
  })
  const watchdog = how === 'hang' ? startWatchdog(2) : null
  const engine = createEngine({
    runtime: opened.runtime,
    dispatcher: new InlineDispatcher(),
    components,
  })
  if (mode === 'start') {
    const started = await engine.api.runPipeline({ pipeline: poisonTree(pipelineId, killerId) })
    if (!started.result) {
      process.stderr.write(`runPipeline refused: ${started.message}\n`)
      return 1
    }
  } else {
    say(`ready ${JSON.stringify(await engine.recover())}`)
  }
  await engine.idle()
  const state = await opened.runtime.getState(killerId)
  const data = await opened.runtime.getExecutionData(killerId)
  say(`quiet ${JSON.stringify({ state: state?.name ?? null, outputs: data?.outputs ?? null })}`)
  await opened.close()
  await watchdog?.stop()
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(1)
  },
)
