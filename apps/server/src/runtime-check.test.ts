import { describe, expect, it } from 'vitest'
import { ServerError } from './errors.js'
import { checkRuntime, MIN_NODE_MAJOR, NATIVE_ADDONS } from './runtime-check.js'

describe('checkRuntime', () => {
  it('passes on the Node that runs the tests, with every native addon loaded for real', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(MIN_NODE_MAJOR)
    expect(() => checkRuntime()).not.toThrow()
  })

  it('refuses an older Node and names the version it found', () => {
    expect(() => checkRuntime({ version: 'v20.20.2', load: () => ({}) })).toThrow(
      /needs Node 24 or newer and runs on v20\.20\.2/,
    )
  })

  it('names the addon that does not load and how to repair the install', () => {
    const load = (name: string) => {
      if (name === 'isolated-vm') {
        throw Object.assign(
          new Error(
            'The module was compiled against NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 137.',
          ),
          { code: 'ERR_DLOPEN_FAILED' },
        )
      }
      return {}
    }
    let caught: unknown
    try {
      checkRuntime({ version: 'v24.21.0', load })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ServerError)
    expect((caught as ServerError).code).toBe('CONFIGURATION')
    expect((caught as ServerError).message).toMatch(
      /isolated-vm does not load on Node v24\.21\.0: The module was compiled against NODE_MODULE_VERSION 115.*rm -rf node_modules/,
    )
  })

  it('checks every native addon the server loads', () => {
    const loaded: string[] = []
    checkRuntime({ version: 'v24.0.0', load: (name) => loaded.push(name) })
    expect(loaded).toEqual([...NATIVE_ADDONS])
  })
})
