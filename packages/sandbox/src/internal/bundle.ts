import { existsSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import { PluginBundleError } from '../errors.js'

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

function guestPath(): string {
  const built = fileURLToPath(new URL('./guest.js', import.meta.url))
  // Run from the sources (tests), the guest is still TypeScript; esbuild bundles either.
  return existsSync(built) ? built : fileURLToPath(new URL('./guest.ts', import.meta.url))
}

const refuseBuiltins: Plugin = {
  name: 'culm-refuse-node-builtins',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      const root = args.path.startsWith('node:')
        ? args.path
        : args.path
            .split('/')
            .slice(0, args.path.startsWith('@') ? 2 : 1)
            .join('/')
      if (!BUILTINS.has(root) && !args.path.startsWith('node:')) return undefined
      return {
        errors: [
          {
            text: `imports the Node built-in "${args.path}"${args.importer ? ` (in ${args.importer})` : ''}, which plugins cannot use: the sandbox grants logging, fetch and secrets through the SDK's context only`,
          },
        ],
      }
    })
  },
}

/**
 * Bundles a plugin's component modules and the guest into one script for an isolate. Node
 * built-ins are refused: the isolate has no `require`, `process` or file system.
 */
export async function bundlePlugin(
  plugin: string,
  directory: string,
  entries: string[],
): Promise<string> {
  const lines = [`import { serve } from ${JSON.stringify(guestPath())}`]
  entries.forEach((entry, i) => {
    lines.push(`import * as m${i} from ${JSON.stringify(entry)}`)
  })
  lines.push(`serve([${entries.map((_, i) => `m${i}`).join(', ')}])`)
  try {
    const result = await build({
      stdin: {
        contents: lines.join('\n'),
        resolveDir: directory,
        sourcefile: 'culm-plugin-entry.js',
        loader: 'js',
      },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      target: 'es2022',
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [refuseBuiltins],
    })
    const output = result.outputFiles[0]
    if (!output) throw new PluginBundleError(plugin, ['esbuild produced no output'])
    return output.text
  } catch (error) {
    if (error instanceof PluginBundleError) throw error
    const messages = (error as { errors?: Array<{ text: string }> }).errors
    throw new PluginBundleError(
      plugin,
      messages?.length ? messages.map((m) => m.text) : [String((error as Error).message)],
    )
  }
}
