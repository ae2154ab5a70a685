import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MemoryRuntime } from '@culm/engine'
import { type LoadedPlugins, loadPlugins, watchPlugins } from '@culm/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../conformance/harness.js'
import { act, sequence } from '../conformance/trees.js'

const SDK = dirname(fileURLToPath(import.meta.resolve('@culm/sdk/package.json')))

/** A plugin whose components say which generation of its code ran each call. */
function source(generation: string): string {
  return `import { defineComponent } from '@culm/sdk'
const GENERATION = '${generation}'
export const poller = defineComponent({
  code: 'poller', version: '1.0', name: 'Poller', interval: 10,
  inputs: { type: 'object', properties: {} },
  outputs: { type: 'object', properties: {} },
  execute(ctx) { ctx.setOutput('executed_by', GENERATION) },
  schedule(ctx) {
    ctx.setOutput('polled_by', GENERATION)
    if (ctx.scheduleTimes >= 1) ctx.finish()
  },
})
export const slow = defineComponent({
  code: 'slow', version: '1.0', name: 'Slow',
  inputs: { type: 'object', properties: {} },
  outputs: { type: 'object', properties: {} },
  async execute(ctx) {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    ctx.setOutput('executed_by', GENERATION)
  },
})
`
}

let folder: string
let loaded: LoadedPlugins
let h: Harness
let stop: () => void
const reloads: string[] = []
let reloaded: () => void = () => {}

function write(generation: string): Promise<void> {
  const done = new Promise<void>((resolve) => {
    reloaded = resolve
  })
  writeFileSync(join(folder, 'index.js'), source(generation))
  return done
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'culm-reload-'))
  mkdirSync(join(folder, 'node_modules', '@culm'), { recursive: true })
  symlinkSync(SDK, join(folder, 'node_modules', '@culm', 'sdk'))
  writeFileSync(
    join(folder, 'package.json'),
    JSON.stringify({
      name: 'reloading',
      version: '1.0.0',
      type: 'module',
      culm: { apiVersion: 1, components: ['index.js'] },
      peerDependencies: { '@culm/sdk': '^1' },
    }),
  )
  writeFileSync(join(folder, 'index.js'), source('one'))
  loaded = await loadPlugins({ folders: [folder], onLog: () => {} })
  h = createHarness(new MemoryRuntime(), loaded.runner)
  stop = watchPlugins(loaded, {
    debounceMs: 50,
    onReload: (name) => {
      reloads.push(name)
      reloaded()
    },
    onError: (name, error) => reloads.push(`${name} failed: ${String(error)}`),
  })
})

afterAll(async () => {
  stop?.()
  await loaded?.close()
  rmSync(folder, { recursive: true, force: true })
})

function call(code: string) {
  return loaded.runner.run({ code, version: '1.0' }, 'execute', {
    inputs: {},
    outputs: {},
    parentData: {},
    scheduleTimes: 0,
    nodeId: 'n',
    version: 'v',
    rootPipelineId: 'p',
    loop: 1,
    innerLoop: 1,
  })
}

describe('a plugin changed on disk is reloaded without restarting', () => {
  it('a pipeline polling it goes on with the new code, and the next pipeline runs the new code', async () => {
    // Given a pipeline whose node was executed by the first version and now polls
    const first = act('poller', {}, { componentVersion: '1.0' })
    const firstRoot = await h.run(sequence(first), { keepIds: true })
    await h.advance(1)
    expect(await h.outputs(first.id)).toMatchObject({ executed_by: 'one', polled_by: 'one' })
    expect((await h.states(firstRoot))[firstRoot]).toBe('RUNNING')

    // When the plugin's code changes
    await write('two')
    expect(reloads).toEqual(['reloading'])

    // Then the waiting node's next poll runs the new code, and so does a new pipeline
    await h.advance(10)
    expect((await h.states(firstRoot))[firstRoot]).toBe('FINISHED')
    expect(await h.outputs(first.id)).toMatchObject({ executed_by: 'one', polled_by: 'two' })
    const second = act('poller', {}, { componentVersion: '1.0' })
    await h.run(sequence(second), { keepIds: true })
    expect(await h.outputs(second.id)).toMatchObject({ executed_by: 'two' })
  })

  it('a call running during the reload finishes on the old version', async () => {
    let finished = false
    const running = call('slow').finally(() => {
      finished = true
    })
    await write('three')
    expect(finished).toBe(false)
    const after = await call('slow')
    expect((await running).outputs).toEqual({ executed_by: 'two' })
    expect(after.outputs).toEqual({ executed_by: 'three' })
  })

  it('keeps the loaded version when the changed code cannot be loaded, saying why', async () => {
    const failed = new Promise<void>((resolve) => {
      const length = reloads.length
      const check = setInterval(() => {
        if (reloads.length > length) {
          clearInterval(check)
          resolve()
        }
      }, 20)
    })
    writeFileSync(join(folder, 'index.js'), "import fs from 'node:fs'\nexport const x = fs\n")
    await failed
    expect(reloads.at(-1)).toMatch(/^reloading failed: .*imports the Node built-in "node:fs"/)
    expect((await call('slow')).outputs).toEqual({ executed_by: 'three' })
  })
})
