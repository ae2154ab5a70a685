import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PluginLogEntry } from '@culm/sandbox'
import { loadComponents, parsePluginSelection } from '@culm/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))
const SDK = dirname(fileURLToPath(import.meta.resolve('@culm/sdk/package.json')))

/** A folder outside the repository with `@culm/sdk` installed, as an author's project has. */
let project: string

function plugin(folder: string, manifest: Record<string, unknown>, code: string): string {
  const target = join(project, folder)
  mkdirSync(target, { recursive: true })
  writeFileSync(
    join(target, 'package.json'),
    JSON.stringify({
      version: '1.0.0',
      type: 'module',
      culm: { apiVersion: 1, components: ['index.js'] },
      peerDependencies: { '@culm/sdk': '^1' },
      ...manifest,
    }),
  )
  writeFileSync(join(target, 'index.js'), code)
  return target
}

const GREETER = (code: string, inputs = "{ type: 'object', properties: {} }") => `
import { defineComponent } from '@culm/sdk'
export const c = defineComponent({
  code: '${code}', version: '1.0', name: '${code}', inputs: ${inputs},
  outputs: { type: 'object', properties: {} },
  execute(ctx) { console.warn('hello from', ctx.node.id); ctx.setOutput('id', crypto.randomUUID()) },
})
`

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'culm-plugins-'))
  mkdirSync(join(project, 'node_modules', '@culm'), { recursive: true })
  symlinkSync(SDK, join(project, 'node_modules', '@culm', 'sdk'))
  plugin('node_modules/culm-greeter', { name: 'culm-greeter' }, GREETER('greeter'))
  plugin('local/farewell', { name: '@acme/farewell' }, GREETER('farewell'))
  plugin('dir/one', { name: 'one' }, GREETER('one'))
  plugin('dir/two', { name: 'two' }, GREETER('two'))
  plugin('broken/no-culm', { name: 'no-culm', culm: undefined, keywords: ['culm-plugin'] }, '')
  plugin(
    'broken/format',
    { name: 'bad-format' },
    GREETER(
      'bad_format',
      "{ type: 'object', properties: { at: { type: 'string', format: 'when' } } }",
    ),
  )
  mkdirSync(join(project, 'empty'))
})

afterAll(() => rmSync(project, { recursive: true, force: true }))

async function load(plugins: string, pluginDirectory?: string) {
  return loadComponents(parsePluginSelection(plugins, project), {
    ...(pluginDirectory ? { pluginDirectory: join(project, pluginDirectory) } : {}),
  })
}

describe('the server loads plugins from packages, folders and a plugins directory', () => {
  it('reads CULM_PLUGINS: paths as folders, other names as packages of any name', () => {
    expect(parsePluginSelection('./local/farewell, culm-greeter,@acme/x,testkit', project)).toEqual(
      [join(project, 'local/farewell'), 'culm-greeter', '@acme/x', '@culm/plugin-testkit'],
    )
  })

  it('loads an installed unscoped package and a folder, besides a plugins directory', async () => {
    const cwd = process.cwd()
    process.chdir(project)
    try {
      const loaded = await load('culm-greeter,./local/farewell', 'dir')
      try {
        expect(loaded.plugins.map((p) => p.name).sort()).toEqual([
          '@acme/farewell',
          'culm-greeter',
          'one',
          'two',
        ])
      } finally {
        await loaded.close()
      }
    } finally {
      process.chdir(cwd)
    }
  })

  it.each([
    ['./nowhere', undefined, /plugin folder .*nowhere does not exist/],
    ['./empty', undefined, /plugin folder .*empty has no package\.json/],
    [
      'not-installed',
      undefined,
      /plugin package not-installed is not installed in node_modules above/,
    ],
    ['./broken/no-culm', undefined, /plugin no-culm: package\.json has no "culm" field/],
    [
      './broken/format',
      undefined,
      /plugin bad-format: component bad_format schema uses an unknown format "when"/,
    ],
    ['./local/farewell', 'nowhere', /CULM_PLUGIN_DIR .*nowhere does not exist/],
  ])(
    'refuses %s (plugin dir %s) with a message naming the problem',
    async (plugins, dir, message) => {
      await expect(load(plugins, dir)).rejects.toThrow(message)
    },
  )

  it('writes plugin log lines at their level with the plugin, component, pipeline and node', async () => {
    const logs: PluginLogEntry[] = []
    const loaded = await loadComponents(parsePluginSelection('./local/farewell', project), {
      onLog: (entry) => logs.push(entry),
    })
    try {
      const result = await loaded.runner.run({ code: 'farewell', version: '1.0' }, 'execute', {
        inputs: {},
        outputs: {},
        parentData: {},
        scheduleTimes: 0,
        nodeId: 'n1',
        version: 'v1',
        rootPipelineId: 'p1',
        loop: 1,
        innerLoop: 1,
      })
      expect(result.success).toBe(true)
      expect(logs).toEqual([
        {
          plugin: '@acme/farewell',
          level: 'warn',
          message: 'hello from n1',
          component: 'farewell@1.0',
          pipelineId: 'p1',
          nodeId: 'n1',
        },
      ])
    } finally {
      await loaded.close()
    }
  })
})

it('keeps the fixtures folder loadable as a plugins directory from sources', async () => {
  const loaded = await loadComponents(parsePluginSelection('./local/farewell', project), {
    pluginDirectory: FIXTURES,
    fromSource: true,
  })
  try {
    expect(loaded.plugins.map((p) => p.name).sort()).toEqual([
      '@acme/farewell',
      '@fixture/web-globals',
      'harness-kit',
      'versions-kit',
    ])
  } finally {
    await loaded.close()
  }
})
