import { checkRuntime } from './runtime-check.js'

// isolated-vm (the plugin sandbox) needs Node's startup snapshot off. `npm start` passes the flag;
// started without it, the process replaces itself (same pid, no child left behind) with one that
// has it.
if (!process.execArgv.includes('--no-node-snapshot')) {
  if (!process.execve) {
    console.error('Culm could not start: run it as `node --no-node-snapshot main.js`')
    process.exit(1)
  }
  process.execve(
    process.execPath,
    [process.execPath, '--no-node-snapshot', ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  )
}

try {
  checkRuntime()
  const { startFromEnv } = await import('./start.js')
  const started = await startFromEnv()
  // The handlers are in place before the line that tells a supervisor the server is up.
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
  if (started.adminToken) {
    console.log(`First admin token (shown once, keep it): ${started.adminToken}`)
  }
  console.log(`Culm listens on ${started.url} (Node ${process.version})`)
  console.log(`The console: ${started.url}/console`)
} catch (error) {
  console.error(`Culm could not start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
