import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runTree, type ServerProcess, startServer } from './server-process.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const TREE = fileURLToPath(new URL('./fixtures/link-info-tree.json', import.meta.url))
/** What a plugin needs to build and test itself: the SDK and the sandbox with what it runs on. */
const PACKED = ['sdk', 'sandbox', 'engine', 'expr', 'tree']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

// Node 24 (this repository's) first on PATH: isolated-vm's binary is built for it.
const env = {
  ...process.env,
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
}
const root = mkdtempSync(join(tmpdir(), 'culm-external-'))
let server: ServerProcess | undefined

afterAll(() => {
  server?.stop()
  rmSync(root, { recursive: true, force: true })
})

/**
 * How long one command may take. The commands block the test's thread, so the test's own timeout
 * cannot end them: an install that waits on an unreachable registry fails here, saying so.
 */
const COMMAND_TIMEOUT_MS = 180_000

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      env,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    })
  } catch (error) {
    const { stdout, stderr, signal } = error as {
      stdout?: string
      stderr?: string
      signal?: string
    }
    const how = signal === 'SIGKILL' ? `did not end within ${COMMAND_TIMEOUT_MS} ms` : 'failed'
    return expect.fail(`${command} ${args.join(' ')} ${how} in ${cwd}:\n${stdout}\n${stderr}`)
  }
}

describe('a plugin scaffolded outside the repository', () => {
  it('installs the packed SDK, passes its tests in isolates, and runs in a pipeline on the server', async () => {
    // Given the Culm packages packed as they would be published
    const tarballs = join(root, 'tarballs')
    mkdirSync(tarballs)
    for (const name of PACKED) {
      run('npm', ['pack', '--pack-destination', tarballs], join(REPO, 'packages', name))
    }
    const packed = readdirSync(tarballs).map((file) => join(tarballs, file))
    expect(packed).toHaveLength(PACKED.length)

    // When an author scaffolds a plugin in a folder of their own and installs it
    run(
      process.execPath,
      [
        join(REPO, 'tooling/plugin-template/new-plugin.js'),
        'link-info',
        root,
        '--package',
        '@acme/culm-link-info',
      ],
      REPO,
    )
    const plugin = join(root, 'link-info')
    run('npm', ['install', '--save-dev', '--prefer-offline', '--no-audit', ...packed], plugin)
    const manifest = JSON.parse(readFileSync(join(plugin, 'package.json'), 'utf8'))
    expect(manifest).toMatchObject({ name: '@acme/culm-link-info', culm: { apiVersion: 1 } })

    // Then its tests pass in isolates, and it builds
    expect(run('npm', ['test'], plugin)).toMatch(/3 passed/)
    run('npm', ['run', 'build'], plugin)
    run('npx', ['tsc', '-p', 'tsconfig.check.json'], plugin)

    // And a server loads it from its folder and runs it in a pipeline over HTTP
    server = await startServer(
      {
        CULM_PLUGINS: plugin,
        CULM_DATABASE_URL: `sqlite:${join(root, 'culm.db')}`,
        CULM_LOG_LEVEL: 'warn',
        PATH: env.PATH,
      },
      root,
    )
    const pipeline = await runTree(server.url, JSON.parse(readFileSync(TREE, 'utf8')))
    expect(pipeline).toMatchObject({
      state: 'FINISHED',
      outputs: {
        greeting: 'hello Ada Lovelace',
        link: 'https://example.com/hello?name=Ada+Lovelace',
        bytes: 18,
        request_id: expect.stringMatching(UUID),
        _result: true,
      },
    })
  }, 300_000)
})
