import { spawn } from 'node:child_process'

// isolated-vm (the plugin sandbox) needs Node's startup snapshot off: without the flag, run the
// server in a child process that has it, passing signals on and exiting with its code. The server
// itself is imported only where it runs, so the parent stays small.
if (!process.execArgv.includes('--no-node-snapshot')) {
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  )
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child.kill(signal))
  }
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
} else {
  try {
    const { startFromEnv } = await import('./start.js')
    const started = await startFromEnv()
    if (started.adminToken) {
      console.log(`First admin token (shown once, keep it): ${started.adminToken}`)
    }
    console.log(`Culm listens on ${started.url}`)
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      console.log(`${signal}: stopping; running engine steps finish first`)
      started.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error)
          process.exit(1)
        },
      )
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
  } catch (error) {
    console.error(`Culm could not start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
