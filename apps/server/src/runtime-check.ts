import { createRequire } from 'node:module'
import { ServerError } from './errors.js'

/** The oldest Node major Culm runs on. */
export const MIN_NODE_MAJOR = 24

/** The native addons the server loads: the plugin sandbox and the embedded database. */
export const NATIVE_ADDONS = ['isolated-vm', 'better-sqlite3'] as const

const require = createRequire(import.meta.url)

/**
 * Refuses to start on a Node older than `MIN_NODE_MAJOR` or with a native addon that does not load
 * (an addon built for another Node's ABI reports success at install and fails only here), naming
 * the addon, the Node that runs and how to repair the install.
 */
export function checkRuntime(
  options: { version?: string; load?: (name: string) => unknown } = {},
): void {
  const version = options.version ?? process.version
  const load = options.load ?? require
  const major = Number(/^v?(\d+)\./.exec(version)?.[1])
  if (!(major >= MIN_NODE_MAJOR)) {
    throw new ServerError(
      'CONFIGURATION',
      `Culm needs Node ${MIN_NODE_MAJOR} or newer and runs on ${version}: start it through npm ` +
        '(npm start puts the project’s own Node first on PATH) or install Node 24 LTS',
    )
  }
  for (const name of NATIVE_ADDONS) {
    try {
      load(name)
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
      throw new ServerError(
        'CONFIGURATION',
        `the native addon ${name} does not load on Node ${version}: ${reason}. ` +
          'Reinstall with the project’s Node first on PATH (rm -rf node_modules && npm install)',
        { cause: error },
      )
    }
  }
}
