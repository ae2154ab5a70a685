import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadPlugins } from '@culm/sandbox'
import { afterAll, describe, expect, it } from 'vitest'
import { createPlugin } from './new-plugin.js'

// Inside the repository, so that the skeleton resolves @culm/sdk and the shared tsconfig.
const SCRATCH = fileURLToPath(new URL('./.scratch', import.meta.url))
afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }))

describe('npm run new-plugin', () => {
  it('creates a plugin that builds, passes its test and loads in the sandbox', async () => {
    rmSync(SCRATCH, { recursive: true, force: true })
    const folder = createPlugin('hello-world', SCRATCH)
    execFileSync('npx', ['tsc', '-b', 'tsconfig.json'], { cwd: folder, stdio: 'pipe' })
    execFileSync('npx', ['tsc', '-p', 'tsconfig.check.json'], { cwd: folder, stdio: 'pipe' })
    const output = execFileSync('npx', ['vitest', 'run'], { cwd: folder, encoding: 'utf8' })
    expect(output).toMatch(/3 passed/)
    const loaded = await loadPlugins({ directories: [SCRATCH], onLog: () => {} })
    try {
      expect(loaded.plugins[0]?.components.map((c) => c.code)).toEqual(['hello_world'])
      const result = await loaded.runner.run({ code: 'hello_world', version: '1.0' }, 'execute', {
        inputs: { name: 'Ada' },
        outputs: {},
        parentData: {},
        scheduleTimes: 0,
        nodeId: 'n',
        version: 'v',
        rootPipelineId: 'p',
        loop: 1,
        innerLoop: 1,
      })
      expect(result).toMatchObject({
        success: true,
        outputs: { greeting: 'hello Ada', link: 'https://example.com/hello?name=Ada', bytes: 9 },
      })
    } finally {
      await loaded.close()
    }
  })

  it("builds a component's code against the isolate's globals, not Node's", () => {
    const folder = createPlugin('globals-check', SCRATCH)
    writeFileSync(
      join(folder, 'src', 'uses-node.ts'),
      'export const home = process.env.HOME\nexport const id = crypto.randomUUID()\n',
    )
    let output = ''
    try {
      execFileSync('npx', ['tsc', '-b', 'tsconfig.json'], { cwd: folder, encoding: 'utf8' })
    } catch (error) {
      output = String(error.stdout)
    }
    expect(output).toMatch(/uses-node\.ts.*Cannot find name 'process'/)
    expect(output).not.toMatch(/crypto/)
  })

  it('names the package as asked, and refuses a name npm would refuse', () => {
    const folder = createPlugin('named', SCRATCH, { packageName: '@acme/culm-named' })
    expect(JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).name).toBe(
      '@acme/culm-named',
    )
    expect(() => createPlugin('other', SCRATCH, { packageName: 'Not Valid' })).toThrow(
      /package name "Not Valid" is not a valid npm name/,
    )
  })

  it('refuses a name that is not kebab-case, and an existing folder', () => {
    expect(() => createPlugin('Hello_World', SCRATCH)).toThrow(/must be kebab-case/)
    expect(() => createPlugin('hello-world', SCRATCH)).toThrow(/already exists/)
  })
})
