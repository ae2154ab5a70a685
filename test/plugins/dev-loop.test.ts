import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  oneActivityTree,
  runTree,
  type ServerProcess,
  startServer,
  TOKEN,
} from './server-process.js'

const SDK = dirname(fileURLToPath(import.meta.resolve('@culm/sdk/package.json')))
const root = mkdtempSync(join(tmpdir(), 'culm-dev-loop-'))
const plugin = join(root, 'stamp')
let server: ServerProcess | undefined

afterAll(() => {
  server?.stop()
  rmSync(root, { recursive: true, force: true })
})

/** The plugin's TypeScript source: never built, the server bundles it as it is. */
function source(stamp: string): string {
  return `import { defineComponent } from '@culm/sdk'

export const stamp = defineComponent<Record<string, never>, { stamp: string }>({
  code: 'stamp',
  version: '1.0',
  name: 'Stamp ${stamp}',
  inputs: { type: 'object', properties: {} },
  outputs: { type: 'object', properties: { stamp: { type: 'string' } } },
  execute(ctx) {
    ctx.setOutput('stamp', '${stamp}')
  },
})
`
}

describe('npm run dev:plugin (CULM_PLUGIN_WATCH)', () => {
  it('serves a plugin folder from its sources and reloads it when a file changes', async () => {
    // Given a plugin folder whose dist/ was never built, served in watch mode
    mkdirSync(join(plugin, 'src'), { recursive: true })
    mkdirSync(join(plugin, 'node_modules', '@culm'), { recursive: true })
    symlinkSync(SDK, join(plugin, 'node_modules', '@culm', 'sdk'))
    writeFileSync(
      join(plugin, 'package.json'),
      JSON.stringify({
        name: 'culm-stamp',
        version: '0.1.0',
        type: 'module',
        culm: { apiVersion: 1, components: ['dist/index.js'] },
        peerDependencies: { '@culm/sdk': '^1' },
      }),
    )
    writeFileSync(join(plugin, 'src', 'index.ts'), source('first'))
    server = await startServer(
      {
        CULM_PLUGINS: plugin,
        CULM_PLUGIN_WATCH: '1',
        CULM_DATABASE_URL: `sqlite:${join(root, 'culm.db')}`,
        CULM_LOG_LEVEL: 'info',
      },
      root,
    )
    const first = await runTree(server.url, oneActivityTree('stamp', {}, '1.0'))
    expect(first).toMatchObject({ state: 'FINISHED', outputs: { stamp: 'first' } })

    // When its source changes
    writeFileSync(join(plugin, 'src', 'index.ts'), source('second'))
    await server.waitFor(/"plugin":"culm-stamp".*"msg":"plugin reloaded"/)

    // Then the next pipeline runs the new code, and the server lists the new component
    const second = await runTree(server.url, oneActivityTree('stamp', {}, '1.0'))
    expect(second).toMatchObject({ state: 'FINISHED', outputs: { stamp: 'second' } })
    const listed = await fetch(`${server.url}/api/components`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
    expect(await listed.json()).toMatchObject([
      { name: 'culm-stamp', components: [{ code: 'stamp', name: 'Stamp second' }] },
    ])
  }, 120_000)
})
