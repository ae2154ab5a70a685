#!/usr/bin/env node
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

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

/**
 * The files of a new plugin: one component written with @culm/sdk, its test, and the manifest
 * that makes @culm/sandbox load it.
 * @param {string} name folder name, kebab-case (`weather`, `send-mail`)
 * @param {string} [baseConfig] path of the monorepo's tsconfig.base.json from the plugin's folder
 * @returns {Record<string, string>}
 */
export function pluginFiles(name, baseConfig) {
  const code = name.replaceAll('-', '_')
  const title = name
    .split('-')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(' ')
  const pkg = {
    name: `@culm/plugin-${name}`,
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
      lint: 'biome check .',
    },
    peerDependencies: { '@culm/sdk': '^1' },
    devDependencies: {
      '@culm/sdk': '*',
      '@culm/vitest-preset': '*',
      '@types/node': '^20.19.0',
      typescript: '~5.9.3',
      vitest: '^4.1.12',
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
  const extend = baseConfig ? { extends: baseConfig } : {}
  const base = {
    ...extend,
    compilerOptions: {
      ...(baseConfig ? {} : standalone),
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
      ...(baseConfig ? {} : standalone),
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
    'vitest.config.ts': `import { culmVitestConfig } from '@culm/vitest-preset'

export default culmVitestConfig()
`,
    'README.md': `# @culm/plugin-${name}

The \`${code}\` component (version \`1.0\`): says hello to \`name\` in \`greeting\`.

- \`${code.replace(/_(.)/g, (_, c) => c.toUpperCase())}\`
`,
    'src/index.ts': `import { defineComponent, fail } from '@culm/sdk'

/** Says hello: replace with what the component does. */
export const ${code.replace(/_(.)/g, (_, c) => c.toUpperCase())} = defineComponent<{ name: string }, { greeting: string }>({
  code: '${code}',
  version: '1.0',
  name: '${title}',
  group: 'Custom',
  inputs: {
    type: 'object',
    properties: { name: { type: 'string', title: 'Name', minLength: 1 } },
    required: ['name'],
  },
  outputs: {
    type: 'object',
    properties: { greeting: { type: 'string', title: 'Greeting' } },
  },
  execute(ctx) {
    if (ctx.data.name === 'nobody') return fail('there is nobody to greet')
    ctx.log.info('greeting', { name: ctx.data.name })
    ctx.setOutput('greeting', \`hello \${ctx.data.name}\`)
    return true
  },
})
`,
    'src/index.test.ts': `import { runComponent } from '@culm/sdk/testing'
import { describe, expect, it } from 'vitest'
import { ${code.replace(/_(.)/g, (_, c) => c.toUpperCase())} as component } from './index.js'

describe('${code}', () => {
  it('greets the name it is given', async () => {
    const result = await runComponent(component, { inputs: { name: 'Ada' } })
    expect(result).toMatchObject({ success: true, outputs: { greeting: 'hello Ada' } })
  })

  it('fails with a message when there is nobody to greet', async () => {
    const result = await runComponent(component, { inputs: { name: 'nobody' } })
    expect(result).toMatchObject({ success: false, error: 'there is nobody to greet' })
  })
})
`,
  }
}

/**
 * Writes a new plugin into `<folder>/<name>`; refuses a bad name or an existing folder.
 * @param {string} name
 * @param {string} folder
 * @returns {string} the plugin's folder
 */
export function createPlugin(name, folder) {
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
  for (const [file, text] of Object.entries(pluginFiles(name, baseConfig))) {
    mkdirSync(join(target, file, '..'), { recursive: true })
    writeFileSync(join(target, file), text)
  }
  return target
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [name, folder = 'plugins'] = process.argv.slice(2)
  try {
    const target = createPlugin(name, folder)
    console.log(`created ${target}
next: npm install (links the new workspace), then
  cd ${target} && npx tsc -b && npx vitest run`)
  } catch (error) {
    console.error(`new-plugin: ${error.message}\nusage: npm run new-plugin NAME [FOLDER]`)
    process.exit(1)
  }
}
