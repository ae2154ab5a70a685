#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * JSON with short lists of strings on one line, as the repository's formatter writes them.
 * @param {unknown} value
 */
function compactJson(value) {
  return JSON.stringify(value, null, 2).replace(
    /\[\n\s+("[^"\n]*"(?:,\n\s+"[^"\n]*")*)\n\s+\]/g,
    (_, items) => `[${items.split(/,\n\s+/).join(', ')}]`,
  )
}

/** The versions of the Culm packages a new plugin depends on, read from this repository. */
function culmVersions() {
  const read = (path) =>
    JSON.parse(readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8')).version
  return {
    sdk: read('../../packages/sdk/package.json'),
    sandbox: read('../../packages/sandbox/package.json'),
  }
}

/**
 * The files of a new plugin: one component written with @culm/sdk, its test in an isolate
 * (`@culm/sandbox/testing`), and the manifest that makes @culm/sandbox load it.
 * @param {string} name folder name, kebab-case (`weather`, `send-mail`)
 * @param {{ baseConfig?: string, packageName?: string }} [options] `baseConfig`: path of the
 *   monorepo's tsconfig.base.json from the plugin's folder (inside this repository);
 *   `packageName`: the npm name (`@culm/plugin-<name>` inside this repository,
 *   `culm-plugin-<name>` outside)
 * @returns {Record<string, string>}
 */
export function pluginFiles(name, options = {}) {
  const { baseConfig } = options
  const inside = baseConfig !== undefined
  const packageName =
    options.packageName ?? (inside ? `@culm/plugin-${name}` : `culm-plugin-${name}`)
  const code = name.replaceAll('-', '_')
  const exportName = code.replace(/_(.)/g, (_, c) => c.toUpperCase())
  const title = name
    .split('-')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ')
  const versions = culmVersions()
  const pkg = {
    name: packageName,
    version: '0.1.0',
    description: `The Culm ${code} component`,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    files: ['dist'],
    keywords: ['culm-plugin'],
    culm: { apiVersion: 1, components: ['dist/index.js'] },
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    scripts: {
      build: 'tsc -b tsconfig.json',
      typecheck: 'tsc -p tsconfig.check.json',
      test: 'vitest run',
    },
    peerDependencies: { '@culm/sdk': `^${versions.sdk.split('.')[0]}` },
    devDependencies: {
      '@culm/sandbox': inside ? '*' : `^${versions.sandbox}`,
      '@culm/sdk': inside ? '*' : `^${versions.sdk}`,
      '@types/node': '^24.10.0',
      typescript: '~5.9.3',
      vitest: '^5.1.2',
    },
  }
  // Outside the monorepo, the plugin carries the compiler settings itself.
  const standalone = {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    declaration: true,
    composite: true,
  }
  const extend = inside ? { extends: baseConfig } : {}
  const base = {
    ...extend,
    compilerOptions: {
      ...(inside ? {} : standalone),
      // The component's code sees the isolate's globals only, not Node's.
      types: ['@culm/sdk/globals'],
      rootDir: 'src',
      outDir: 'dist',
      tsBuildInfoFile: 'dist/.tsbuildinfo',
    },
    include: ['src'],
    exclude: ['src/**/*.test.ts'],
  }
  const check = {
    ...extend,
    compilerOptions: {
      ...(inside ? {} : standalone),
      noEmit: true,
      composite: false,
      declaration: false,
      declarationMap: false,
      types: ['node'],
    },
    include: ['src', 'vitest.config.ts'],
  }
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'tsconfig.json': `${compactJson(base)}\n`,
    'tsconfig.check.json': `${compactJson(check)}\n`,
    'vitest.config.ts': `import { defineConfig } from 'vitest/config'

// The tests run the plugin in isolated-vm isolates, which need Node's startup snapshot off.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    testTimeout: 30_000,
  },
})
`,
    'README.md': `# ${packageName}

The \`${code}\` component (version \`1.0\`): greets \`name\` in \`greeting\`, with a \`link\` to
\`page\` that carries the name, the greeting's size in UTF-8 bytes and a \`request_id\`.

- \`${exportName}\`

\`npm test\` runs the component in an isolate as Culm's server does (\`@culm/sandbox/testing\`);
\`npm run build\` writes \`dist/\`, which the server loads (\`CULM_PLUGINS=./path/to/this/folder\`).
`,
    'src/index.ts': `import { defineComponent, fail } from '@culm/sdk'

/** Says hello: replace with what the component does. */
export const ${exportName} = defineComponent<
  { name: string; page: string },
  { greeting: string; link: string; bytes: number; request_id: string }
>({
  code: '${code}',
  version: '1.0',
  name: '${title}',
  group: 'Custom',
  inputs: {
    type: 'object',
    properties: {
      name: { type: 'string', title: 'Name', minLength: 1 },
      page: { type: 'string', title: 'Page', format: 'uri', default: 'https://example.com/hello' },
    },
    required: ['name'],
  },
  outputs: {
    type: 'object',
    properties: {
      greeting: { type: 'string', title: 'Greeting' },
      link: { type: 'string', title: 'Link to the page, with the name' },
      bytes: { type: 'integer', title: 'Size of the greeting in UTF-8 bytes' },
      request_id: { type: 'string', title: 'Request id' },
    },
  },
  execute(ctx) {
    if (ctx.data.name === 'nobody') return fail('there is nobody to greet')
    const greeting = \`hello \${ctx.data.name}\`
    const link = new URL(ctx.data.page)
    link.searchParams.set('name', ctx.data.name)
    console.log('greeting', ctx.data.name)
    ctx.setOutput('greeting', greeting)
    ctx.setOutput('link', link.href)
    ctx.setOutput('bytes', new TextEncoder().encode(greeting).length)
    ctx.setOutput('request_id', crypto.randomUUID())
    return true
  },
})
`,
    'src/index.test.ts': `import { loadPluginForTest, type PluginHarness } from '@culm/sandbox/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let plugin: PluginHarness

beforeAll(async () => {
  // The plugin's folder, run from src/ in an isolate with the server's globals and limits.
  plugin = await loadPluginForTest(new URL('..', import.meta.url))
})

afterAll(() => plugin?.close())

describe('${code}', () => {
  it('greets the name it is given, with a link, its size and a request id', async () => {
    const run = await plugin.runNode('${code}', { inputs: { name: 'Ada Lovelace' } })
    expect(run).toMatchObject({
      state: 'FINISHED',
      outputs: {
        greeting: 'hello Ada Lovelace',
        link: 'https://example.com/hello?name=Ada+Lovelace',
        bytes: 18,
        request_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      },
    })
    expect(run.logs).toMatchObject([{ level: 'info', message: 'greeting Ada Lovelace' }])
  })

  it('fails with a message when there is nobody to greet', async () => {
    const run = await plugin.runNode('${code}', { inputs: { name: 'nobody' } })
    expect(run).toMatchObject({ state: 'FAILED', error: 'there is nobody to greet' })
  })

  it('refuses a page that is not a URI before the component runs', async () => {
    const run = await plugin.runNode('${code}', { inputs: { name: 'Ada', page: 'not a uri' } })
    expect(run.error).toMatch(/\\/page must match format "uri"/)
  })
})
`,
  }
}

/**
 * Writes a new plugin into `<folder>/<name>`; refuses a bad name or an existing folder.
 * @param {string} name
 * @param {string} folder
 * @param {{ packageName?: string }} [options]
 * @returns {string} the plugin's folder
 */
export function createPlugin(name, folder, options = {}) {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name ?? '')) {
    throw new TypeError(
      `plugin name ${JSON.stringify(name)} must be kebab-case: lower-case letters, digits and dashes`,
    )
  }
  const target = resolve(folder, name)
  if (existsSync(target)) throw new TypeError(`${target} already exists`)
  let baseConfig
  for (let dir = dirname(target); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.base.json'))) {
      baseConfig = relative(target, join(dir, 'tsconfig.base.json'))
      break
    }
  }
  const packageName = options.packageName
  if (
    packageName !== undefined &&
    !/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(packageName)
  ) {
    throw new TypeError(`package name ${JSON.stringify(packageName)} is not a valid npm name`)
  }
  const files = pluginFiles(name, {
    ...(baseConfig !== undefined ? { baseConfig } : {}),
    ...(packageName !== undefined ? { packageName } : {}),
  })
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(target, file, '..'), { recursive: true })
    writeFileSync(join(target, file), text)
  }
  return target
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2)
  const at = args.indexOf('--package')
  const packageName = at >= 0 ? args.splice(at, 2)[1] : undefined
  const [name, folder = 'plugins'] = args
  try {
    const target = createPlugin(name, folder, packageName ? { packageName } : {})
    const inside = existsSync(join(target, '..', '..', 'tsconfig.base.json'))
    console.log(`created ${target}
next: ${inside ? 'npm install (links the new workspace)' : `cd ${target} && npm install`}, then
  npm test (runs it in an isolate), npm run build, and load it: CULM_PLUGINS=${target} npm start`)
  } catch (error) {
    console.error(
      `new-plugin: ${error.message}\nusage: npm run new-plugin NAME [FOLDER] [--package NPM_NAME]`,
    )
    process.exit(1)
  }
}
