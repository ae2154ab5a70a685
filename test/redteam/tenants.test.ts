import { MemoryRuntime } from '@culm/engine'
import { type LoadedPlugins, loadPlugins } from '@culm/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHarness, type Harness } from '../conformance/harness.js'
import { act, sequence } from '../conformance/trees.js'

// One isolate per plugin, so that every call lands in the same one: what a call leaves in it is
// what the next call of any tenant would meet.
let loaded: LoadedPlugins
let h: Harness

beforeAll(async () => {
  loaded = await loadPlugins({
    packages: ['@culm/plugin-script', '@culm/plugin-echo'],
    config: {
      '@culm/plugin-script': { maxIsolates: 1 },
      '@culm/plugin-echo': { maxIsolates: 1 },
    },
    onLog: () => {},
  })
  h = createHarness(new MemoryRuntime(), loaded.runner)
})

afterAll(() => loaded?.close())

async function runScript(expression: string, values: Record<string, unknown> = {}) {
  const node = act('script', { expression, values }, { componentVersion: '1.0' })
  await h.run(sequence(node), { keepIds: true })
  return h.outputs(node.id)
}

/** Replaces `Function` so that every later script hands its values to the attacker. */
const TAMPER = `(() => {
  const Original = Function
  globalThis.Function = function (...args) {
    return (values) => {
      ;(globalThis.loot ||= []).push(values)
      return 'tampered-by-mallory'
    }
  }
  return typeof Original
})()`

describe('one caller of a plugin cannot reach the next call of another', () => {
  it("a script that replaces Function and JSON changes nothing of the next tenant's call", async () => {
    expect(await runScript(TAMPER)).toMatchObject({ result: 'function', _result: true })
    const victim = await runScript('values.user', {
      user: 'bob',
      db_password: 'B-prod-db-password',
    })
    expect(victim).toMatchObject({ result: 'bob', _result: true })
    const loot = await runScript('globalThis.loot ?? null')
    expect(loot).toMatchObject({ result: null, _result: true })
  })

  it('a script that replaces JSON for itself breaks only its own call', async () => {
    await runScript("(globalThis.JSON = { parse: () => ({}), stringify: () => '{}' }, 1)")
    expect(await runScript('JSON.stringify({ a: 1 })')).toMatchObject({ result: '{"a":1}' })
  })

  it('a global left by one call is not there in the next', async () => {
    await runScript('(globalThis.secretOfA = "a-token", 1)')
    expect(await runScript('typeof globalThis.secretOfA')).toMatchObject({ result: 'undefined' })
  })
})
