import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ComponentNotFoundError, ComponentRegistry } from '@culm/engine'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { combineRunners } from './combine-runners.js'
import { type LoadedPlugins, loadPlugins } from './load-plugins.js'

const folder = mkdtempSync(join(tmpdir(), 'culm-combine-'))
let loaded: LoadedPlugins

beforeAll(async () => {
  symlinkSync(
    fileURLToPath(new URL('../test/fixtures/good', import.meta.url)),
    join(folder, 'good'),
  )
  loaded = await loadPlugins({ directories: [folder], onLog: () => {} })
})

afterAll(async () => {
  await loaded.close()
  rmSync(folder, { recursive: true, force: true })
})

const input = {
  inputs: { who: 'ann' },
  outputs: {},
  parentData: {},
  scheduleTimes: 0,
  nodeId: 'n',
  version: 'v',
  rootPipelineId: 'p',
  loop: 1,
  innerLoop: 1,
}

describe('combineRunners', () => {
  it('serves each component and lazy variable from the first runner that knows it', async () => {
    const registry = new ComponentRegistry()
      .register(
        { code: 'fixture_greet', version: '1.0', execute: (d) => d.setOutput('from', 'registry') },
        { code: 'local_only', execute: (d) => d.setOutput('from', 'registry') },
      )
      .registerLazy({ code: 'local_lazy', getValue: () => 'local' })
    const runner = combineRunners(loaded.runner, registry)
    const greet = await runner.run({ code: 'fixture_greet', version: '1.0' }, 'execute', input)
    expect(greet.outputs).toEqual({ greeting: 'hello ann' })
    const local = await runner.run({ code: 'local_only', version: 'legacy' }, 'execute', input)
    expect(local.outputs).toEqual({ from: 'registry' })
    expect(runner.hasLazy?.('fixture_shout')).toBe(true)
    expect(runner.hasLazy?.('local_lazy')).toBe(true)
    const context = { pipelineData: {}, innerLoop: 1 }
    await expect(runner.lazy?.('fixture_shout', 'a', context)).resolves.toBe('A!')
    await expect(runner.lazy?.('local_lazy', 'a', context)).resolves.toBe('local')
  })

  it('refuses a component no runner knows', async () => {
    const runner = combineRunners(loaded.runner, new ComponentRegistry())
    expect(runner.info({ code: 'nope', version: 'legacy' })).toBeUndefined()
    await expect(runner.run({ code: 'nope', version: 'legacy' }, 'execute', input)).rejects.toThrow(
      ComponentNotFoundError,
    )
  })
})
