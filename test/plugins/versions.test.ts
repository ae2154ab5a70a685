import { fileURLToPath } from 'node:url'
import { ComponentRegistry, MemoryRuntime } from '@culm/engine'
import { type LoadedPlugins, loadPlugins } from '@culm/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness } from '../conformance/harness.js'
import { act, sequence } from '../conformance/trees.js'

const KIT = fileURLToPath(new URL('./fixtures/versions-kit', import.meta.url))

let loaded: LoadedPlugins

beforeAll(async () => {
  loaded = await loadPlugins({ folders: [KIT], onLog: () => {} })
})

afterAll(() => loaded?.close())

async function runGreet(version?: string) {
  const h = createHarness(new MemoryRuntime(), loaded.runner)
  const node = act('versioned_greet', { name: 'Ada' }, version ? { componentVersion: version } : {})
  await h.run(sequence(node), { keepIds: true })
  return h.outputs(node.id)
}

describe('two versions of a component side by side', () => {
  it('runs the version a tree names', async () => {
    expect(await runGreet('1.9')).toMatchObject({ greeting: 'hi Ada', version: '1.9' })
    expect(await runGreet('1.10')).toMatchObject({ greeting: 'hello Ada', version: '1.10' })
  })

  it('gives a tree that names no version the highest version, whatever the loading order', async () => {
    expect(loaded.runner.components().map((c) => c.version)).toEqual(['1.10', '1.9'])
    expect(await runGreet()).toMatchObject({ greeting: 'hello Ada', version: '1.10' })
  })

  it("agrees with the engine's in-process registry", () => {
    const component = (version: string) => ({
      code: 'versioned_greet',
      version,
      execute: () => true,
    })
    for (const order of [
      ['1.9', '1.10'],
      ['1.10', '1.9'],
    ]) {
      const registry = new ComponentRegistry().register(...order.map(component))
      expect(registry.info({ code: 'versioned_greet', version: 'legacy' })?.version).toBe('1.10')
    }
    expect(loaded.runner.info({ code: 'versioned_greet', version: 'legacy' })?.version).toBe('1.10')
  })
})
