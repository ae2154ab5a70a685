import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ComponentCallInput } from '@culm/engine'
import { afterAll, describe, expect, it } from 'vitest'
import { PluginLoadError } from './errors.js'
import type { PluginLogEntry } from './internal/bridge.js'
import { type LoadPluginsOptions, loadPlugins } from './load-plugins.js'

const FIXTURES = fileURLToPath(new URL('../test/fixtures', import.meta.url))
const folders: string[] = []
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

/** A folder of plugins holding the named fixtures. */
function pluginsFolder(...names: string[]): string {
  const folder = mkdtempSync(join(tmpdir(), 'culm-sandbox-'))
  folders.push(folder)
  for (const name of names) symlinkSync(join(FIXTURES, name), join(folder, name))
  return folder
}

async function load(names: string[], options: Partial<LoadPluginsOptions> = {}) {
  return loadPlugins({ directories: [pluginsFolder(...names)], onLog: () => {}, ...options })
}

function input(inputs: Record<string, unknown>, extra: Partial<ComponentCallInput> = {}) {
  return {
    inputs,
    outputs: {},
    parentData: { executor: 'ada' },
    scheduleTimes: 0,
    nodeId: 'n1',
    version: 'v1',
    rootPipelineId: 'p1',
    loop: 1,
    innerLoop: 1,
    ...extra,
  } satisfies ComponentCallInput
}

describe('loadPlugins', () => {
  it('lists the components of a plugin with their schemas, versions side by side', async () => {
    const loaded = await load(['good'])
    try {
      expect(loaded.plugins).toHaveLength(1)
      const [plugin] = loaded.plugins
      expect(plugin?.name).toBe('@fixture/good')
      expect(plugin?.lazyVariables).toEqual(['fixture_shout'])
      const codes = plugin?.components.map((c) => `${c.code}@${c.version}`)
      // In the order of the module's exports (a module namespace lists them alphabetically).
      expect(codes).toEqual([
        'fixture_counter@legacy',
        'fixture_fetcher@legacy',
        'fixture_greet@1.0',
        'fixture_greet@2.0',
        'fixture_hog@legacy',
        'fixture_sleeper@legacy',
        'fixture_waiter@legacy',
      ])
      expect(plugin?.components[2]).toMatchObject({
        name: 'Greet',
        group: 'Fixtures',
        scheduleMode: 'none',
        test: false,
        inputs: { required: ['who'] },
      })
      expect(loaded.runner.info({ code: 'fixture_greet', version: '1.0' })?.inputs).toEqual([
        {
          key: 'who',
          name: 'Who',
          type: 'string',
          required: true,
          schema: { type: 'string', title: 'Who' },
        },
        {
          key: 'times',
          name: 'times',
          type: 'int',
          required: false,
          schema: { type: 'integer', default: 1 },
        },
      ])
    } finally {
      await loaded.close()
    }
  })

  it('runs a call in an isolate, with coerced and defaulted inputs, logs and the version asked', async () => {
    const logs: PluginLogEntry[] = []
    const loaded = await load(['good'], { onLog: (entry) => logs.push(entry) })
    try {
      const v1 = await loaded.runner.run(
        { code: 'fixture_greet', version: '1.0' },
        'execute',
        input({ who: 'bob', _loop: 1 }),
      )
      expect(v1).toEqual({ success: true, finished: false, outputs: { greeting: 'hello bob' } })
      const twice = await loaded.runner.run(
        { code: 'fixture_greet', version: '1.0' },
        'execute',
        input({ who: 'bob', times: '2' }),
      )
      expect(twice.outputs).toEqual({ greeting: 'hello hello bob' })
      const v2 = await loaded.runner.run(
        { code: 'fixture_greet', version: '2.0' },
        'execute',
        input({ who: 'bob' }),
      )
      expect(v2.outputs).toEqual({ greeting: 'hi bob from ada' })
      expect(logs[0]).toEqual({
        plugin: '@fixture/good',
        level: 'info',
        message: 'greeting',
        fields: { who: 'bob' },
        component: 'fixture_greet@1.0',
        pipelineId: 'p1',
        nodeId: 'n1',
      })
    } finally {
      await loaded.close()
    }
  })

  it('fails a call whose inputs do not match the schema, naming the problem', async () => {
    const loaded = await load(['good'])
    try {
      const result = await loaded.runner.run(
        { code: 'fixture_greet', version: '1.0' },
        'execute',
        input({ times: 'many' }),
      )
      expect(result.success).toBe(false)
      expect(result.error).toBe(
        "inputs of component fixture_greet 1.0 are invalid: / must have required property 'who'; /times must be integer",
      )
    } finally {
      await loaded.close()
    }
  })

  it('fails with the message of fail()', async () => {
    const loaded = await load(['good'])
    try {
      const result = await loaded.runner.run(
        { code: 'fixture_greet', version: '1.0' },
        'execute',
        input({ who: 'nobody' }),
      )
      expect(result).toMatchObject({ success: false, error: 'nobody to greet' })
    } finally {
      await loaded.close()
    }
  })

  it('tells the plugin why a fetch was refused, with a code to match on', async () => {
    const loaded = await load(['good'], {
      config: { '@fixture/good': { allowedHosts: ['a.test'] } },
    })
    try {
      const result = await loaded.runner.run(
        { code: 'fixture_fetcher', version: 'legacy' },
        'execute',
        input({}),
      )
      expect(result.outputs).toEqual({
        code: 'FETCH_REFUSED',
        message:
          'fetch to not-allowed.example is not allowed for plugin @fixture/good (allowed hosts: a.test)',
      })
    } finally {
      await loaded.close()
    }
  })

  it('computes a lazy variable inside the isolate', async () => {
    const loaded = await load(['good'])
    try {
      expect(loaded.runner.hasLazy('fixture_shout')).toBe(true)
      await expect(
        loaded.runner.lazy('fixture_shout', 'hey', { pipelineData: {}, innerLoop: 1 }),
      ).resolves.toBe('HEY!')
    } finally {
      await loaded.close()
    }
  })

  it('runs every call of a warm isolate in a fresh context, with the secrets of its own plugin', async () => {
    const loaded = await load(['good'], {
      config: { '@fixture/good': { secrets: { TOKEN: 's3cret' }, maxIsolates: 1 } },
    })
    try {
      const ref = { code: 'fixture_counter', version: 'legacy' }
      const first = await loaded.runner.run(ref, 'execute', input({}))
      const second = await loaded.runner.run(ref, 'execute', input({}))
      // The module-level counter starts again: nothing of the first call is left for the second.
      expect(first.outputs).toEqual({ calls: 1, secret: 's3cret' })
      expect(second.outputs).toEqual({ calls: 1, secret: 's3cret' })
    } finally {
      await loaded.close()
    }
  })

  it('runs concurrent calls on a bounded pool, each in a fresh context', async () => {
    const loaded = await load(['good'], { defaults: { maxIsolates: 2 } })
    try {
      const ref = { code: 'fixture_counter', version: 'legacy' }
      const results = await Promise.all(
        Array.from({ length: 6 }, () => loaded.runner.run(ref, 'execute', input({}))),
      )
      expect(results.map((r) => [r.success, r.outputs.calls])).toEqual(Array(6).fill([true, 1]))
    } finally {
      await loaded.close()
    }
  })

  /**
   * The `good` plugin with `limits`, its fetches to a.test held until released, and the calls
   * of `fixture_waiter` (one fetch each) and `fixture_greet` (no wait).
   */
  async function heldFetches(limits: { maxIsolates: number; maxCalls: number }) {
    const release: Array<() => void> = []
    const loaded = await load(['good'], {
      config: { '@fixture/good': { allowedHosts: ['a.test'], ...limits } },
      fetch: () =>
        new Promise<Response>((resolve) => release.push(() => resolve(new Response('done')))),
    })
    return {
      loaded,
      release,
      waiter: (id: number) =>
        loaded.runner.run({ code: 'fixture_waiter', version: 'legacy' }, 'execute', input({ id })),
      quick: () =>
        loaded.runner.run(
          { code: 'fixture_greet', version: '1.0' },
          'execute',
          input({ who: 'Ada' }),
        ),
      /** Resolves once `n` fetches are held. */
      async held(n: number) {
        while (release.length < n) await new Promise((resolve) => setTimeout(resolve, 5))
      },
    }
  }

  it('answers a quick call while more calls than maxIsolates wait on slow fetches', async () => {
    // Each call holds an isolate of its own (a call over a limit takes no other call down); the
    // isolates of calls waiting on the host run no code, so the plugin starts others beside them.
    const plugin = await heldFetches({ maxIsolates: 2, maxCalls: 16 })
    try {
      const order: string[] = []
      const waiting = Array.from({ length: 12 }, (_, id) =>
        plugin.waiter(id).then((result) => {
          order.push(`slow ${id}`)
          return result
        }),
      )
      await plugin.held(12)
      const quick = await plugin.quick()
      order.push('quick')
      expect(quick).toMatchObject({ success: true, outputs: { greeting: 'hello Ada' } })
      for (const answer of plugin.release) answer()
      const slow = await Promise.all(waiting)
      expect(slow.every((r) => r.success && r.outputs.status === 200)).toBe(true)
      expect(order[0]).toBe('quick')
    } finally {
      await plugin.loaded.close()
    }
  })

  it('holds further calls once maxCalls wait on the host', async () => {
    const plugin = await heldFetches({ maxIsolates: 1, maxCalls: 3 })
    try {
      const first = [plugin.waiter(1), plugin.waiter(2), plugin.waiter(3)]
      await plugin.held(3)
      let answered = false
      const quick = plugin.quick().then((result) => {
        answered = true
        return result
      })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(answered).toBe(false)
      plugin.release.shift()!()
      expect(await quick).toMatchObject({ success: true })
      for (const answer of plugin.release) answer()
      expect((await Promise.all(first)).every((r) => r.success)).toBe(true)
    } finally {
      await plugin.loaded.close()
    }
  })

  it('checks a catastrophic schema pattern in linear time: a crafted input fails at once', async () => {
    const loaded = await load(['redos'])
    try {
      const ref = { code: 'fixture_redos', version: 'legacy' }
      // With a backtracking engine this input takes minutes ('^(a+)+$' on 40 a's and a '!').
      const crafted = await loaded.runner.run(ref, 'execute', input({ word: `${'a'.repeat(40)}!` }))
      expect(crafted.success).toBe(false)
      expect(crafted.error).toMatch(
        /inputs of component fixture_redos legacy are invalid: \/word must match pattern/,
      )
      const fine = await loaded.runner.run(ref, 'execute', input({ word: 'aaaa' }))
      expect(fine).toMatchObject({ success: true, outputs: { word: 'aaaa' } })
    } finally {
      await loaded.close()
    }
  })

  it('refuses a plugin whose schema pattern no linear-time engine runs, naming it', async () => {
    const loaded = await load(['backref', 'good'], { strict: false })
    try {
      expect(loaded.plugins.map((p) => p.name)).toEqual(['@fixture/good'])
      expect(loaded.refused).toEqual([
        {
          plugin: '@fixture/backref',
          code: 'PLUGIN_INVALID',
          message: expect.stringMatching(
            /^plugin @fixture\/backref: component fixture_backref inputs schema is invalid: .*\\1/,
          ),
        },
      ])
    } finally {
      await loaded.close()
    }
  })

  it('replaces an isolate that went over its memory limit', async () => {
    const loaded = await load(['good'], { defaults: { memoryLimitMb: 16, maxIsolates: 1 } })
    try {
      const hog = await loaded.runner.run(
        { code: 'fixture_hog', version: 'legacy' },
        'execute',
        input({}),
      )
      expect(hog.success).toBe(false)
      expect(hog.error).toBe(
        'component fixture_hog legacy: plugin @fixture/good went over its memory limit of 16 MB; its isolate was disposed',
      )
      const after = await loaded.runner.run(
        { code: 'fixture_counter', version: 'legacy' },
        'execute',
        input({}),
      )
      // A new isolate: the counter starts again.
      expect(after).toMatchObject({ success: true, outputs: { calls: 1 } })
    } finally {
      await loaded.close()
    }
  })

  it('ends a call that outlives its timeout, waiting on the host, and replaces the isolate', async () => {
    const loaded = await load(['good'], { defaults: { maxIsolates: 1 } })
    try {
      const slow = await loaded.runner.run(
        { code: 'fixture_sleeper', version: 'legacy' },
        'execute',
        input({}),
      )
      expect(slow).toMatchObject({
        success: false,
        error:
          'component fixture_sleeper legacy: plugin @fixture/good did not answer within its timeout of 0.1 s',
      })
      const after = await loaded.runner.run(
        { code: 'fixture_counter', version: 'legacy' },
        'execute',
        input({}),
      )
      expect(after).toMatchObject({ success: true, outputs: { calls: 1 } })
    } finally {
      await loaded.close()
    }
  })

  it('refuses a plugin that imports a Node built-in', async () => {
    const error = await load(['builtin']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PluginLoadError)
    expect((error as PluginLoadError).problems).toEqual([
      {
        plugin: '@fixture/builtin',
        code: 'PLUGIN_BUNDLE',
        message: expect.stringMatching(
          /^plugin @fixture\/builtin cannot be bundled: imports the Node built-in "node:fs" \(in .*index\.js\), which plugins cannot use/,
        ),
      },
    ])
  })

  it('refuses a component code that another plugin declares', async () => {
    const error = (await load(['good', 'collide']).catch((e: unknown) => e)) as PluginLoadError
    expect(error.problems).toEqual([
      {
        plugin: '@fixture/good',
        code: 'PLUGIN_COLLISION',
        message:
          'plugin @fixture/good: component code fixture_greet is already declared by plugin @fixture/collide',
      },
    ])
  })

  it('refuses an invalid schema, an invalid manifest and an invalid definition, and loads the rest when not strict', async () => {
    const loaded = await load(['badschema', 'baddefine', 'good', 'nomanifest'], { strict: false })
    try {
      expect(loaded.plugins.map((p) => p.name)).toEqual(['@fixture/good'])
      expect(loaded.refused).toEqual([
        {
          plugin: '@fixture/baddefine',
          code: 'PLUGIN_CALL',
          message: expect.stringContaining('component Bad Code: code must be lower snake case'),
        },
        {
          plugin: '@fixture/badschema',
          code: 'PLUGIN_INVALID',
          message: expect.stringMatching(
            /^plugin @fixture\/badschema: component fixture_bad_schema inputs schema is invalid: /,
          ),
        },
        {
          plugin: '@fixture/nomanifest',
          code: 'PLUGIN_INVALID',
          message: 'plugin @fixture/nomanifest: culm.apiVersion must be 1 (got 2)',
        },
      ])
    } finally {
      await loaded.close()
    }
  })

  it('refuses a package that is not installed', async () => {
    await expect(loadPlugins({ packages: ['@culm/plugin-nope'] })).rejects.toThrow(
      /plugin package @culm\/plugin-nope is not installed/,
    )
  })
})

describe('SandboxRunner.checkPlugin', () => {
  it('starts a fresh isolate of a loaded plugin and refuses an unknown one', async () => {
    const loaded = await load(['good'])
    try {
      await expect(loaded.runner.checkPlugin('@fixture/good')).resolves.toBeGreaterThan(0)
      await expect(loaded.runner.checkPlugin('@fixture/none')).rejects.toThrow(
        'plugin @fixture/none is not loaded',
      )
    } finally {
      await loaded.close()
    }
  })
})
