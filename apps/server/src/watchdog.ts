import { Worker } from 'node:worker_threads'

/** A running watchdog; `stop` ends it. */
export interface Watchdog {
  stop(): Promise<void>
}

/**
 * The watchdog's thread: it reads the heartbeat the main thread writes every `beatMs` and, when
 * the main thread has not written it for `stallMs`, says so on stderr and kills the process with
 * SIGKILL. A supervisor starts the server again, and recovery quarantines the step that stalled
 * it (it is picked up at most `MAX_RECOVERIES` times, then its node fails).
 */
const WATCHER = `
const { workerData } = require('node:worker_threads')
const { writeSync } = require('node:fs')
const beat = new Float64Array(workerData.shared)
setInterval(() => {
  const stalled = Date.now() - beat[0]
  if (stalled > workerData.stallMs) {
    // Straight to the file descriptor: a worker's process.stderr goes through the blocked loop.
    writeSync(2, 'culm: the event loop has not answered for ' + stalled +
      ' ms (limit ' + workerData.stallMs + ' ms); killing the process so that it restarts\\n')
    process.kill(process.pid, 'SIGKILL')
  }
}, workerData.checkMs)
`

/**
 * Watches this process's event loop from a thread of its own: a step that blocks it (a host
 * component that never yields, a runaway computation) for longer than `stallSeconds` gets the
 * process killed instead of leaving a server that accepts connections and answers none.
 */
export function startWatchdog(stallSeconds: number): Watchdog {
  const stallMs = stallSeconds * 1000
  const beatMs = Math.max(10, Math.min(1000, stallMs / 4))
  const shared = new SharedArrayBuffer(8)
  const beat = new Float64Array(shared)
  beat[0] = Date.now()
  const timer = setInterval(() => {
    beat[0] = Date.now()
  }, beatMs)
  timer.unref()
  const worker = new Worker(WATCHER, {
    eval: true,
    workerData: { shared, stallMs, checkMs: beatMs },
  })
  worker.unref()
  return {
    async stop() {
      clearInterval(timer)
      await worker.terminate()
    },
  }
}
