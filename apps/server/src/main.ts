import { startFromEnv } from './start.js'

try {
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
