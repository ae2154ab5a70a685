import { createServer, loadComponents } from '@culm/server'
import { openRuntime } from '@culm/store'

// A second server process over the database of CULM_DATABASE_URL, for the tests that share one
// database between processes. It prints `listening <url>` once it serves, and stops on SIGTERM.
const store = await openRuntime(process.env.CULM_DATABASE_URL ?? '')
const components = await loadComponents()
const server = await createServer({
  store,
  components: components.runner,
  plugins: components.plugins,
  offline: { userMode: 'trusted', pollMs: Number(process.env.CULM_OFFLINE_POLL_MS ?? 100) },
})
const { url } = await server.listen({ port: 0 })
process.stdout.write(`listening ${url}\n`)
process.on('SIGTERM', () => {
  void (async () => {
    await server.close()
    await components.close()
    await store.close()
    process.exit(0)
  })()
})
