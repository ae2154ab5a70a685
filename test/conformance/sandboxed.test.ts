import { MemoryRuntime } from '@culm/engine'
import { type LoadedPlugins, loadPlugins } from '@culm/sandbox'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeRuntime } from './harness.js'
import { scenarios } from './scenarios/index.js'

// The same scenarios with every component and lazy variable run in isolated-vm isolates: the
// test kit's SDK plugin and the sleep_timer plugin, loaded as installed packages.
let loaded: LoadedPlugins

beforeAll(async () => {
  loaded = await loadPlugins({
    packages: ['@culm/plugin-testkit', '@culm/plugin-sleep-timer'],
    onLog: () => {},
  })
})

afterAll(() => loaded?.close())

it('loads the test kit as sandboxed test components', () => {
  const testkit = loaded.plugins.find((p) => p.name === '@culm/plugin-testkit')
  expect(testkit?.test).toBe(true)
  expect(testkit?.components.every((c) => c.test)).toBe(true)
  expect(testkit?.lazyVariables).toEqual(['raise_variable', 'upper_case'])
})

describeRuntime(
  'MemoryRuntime with sandboxed components',
  () => new MemoryRuntime(),
  scenarios,
  (title, fn) => it(title, fn),
  () => loaded.runner,
)
