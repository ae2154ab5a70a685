import { describe, expect, it } from 'vitest'
import { parsePluginConfig } from './plugins.js'

describe('parsePluginConfig', () => {
  it('reads grants and limits by package name', () => {
    expect(
      parsePluginConfig(
        JSON.stringify({
          '@culm/plugin-http-request': {
            allowedHosts: ['api.example.com'],
            maxCalls: 256,
            idleIsolateSeconds: 0,
          },
          '@acme/culm-weather': { secrets: { TOKEN: 's3cret' }, memoryLimitMb: 32 },
        }),
      ),
    ).toEqual({
      '@culm/plugin-http-request': {
        allowedHosts: ['api.example.com'],
        maxCalls: 256,
        idleIsolateSeconds: 0,
      },
      '@acme/culm-weather': { secrets: { TOKEN: 's3cret' }, memoryLimitMb: 32 },
    })
    expect(parsePluginConfig(undefined)).toEqual({})
  })

  it('refuses a limit of the wrong kind and a setting it does not know, naming them', () => {
    const refused = (config: unknown) => () =>
      parsePluginConfig(JSON.stringify({ '@acme/culm-weather': config }))
    expect(refused({ maxCalls: 'lots' })).toThrow(
      /CULM_PLUGIN_CONFIG for @acme\/culm-weather is invalid: maxCalls: /,
    )
    expect(refused({ maxIsolates: 0 })).toThrow(/maxIsolates: /)
    expect(refused({ memoryLimitMb: 1.5 })).toThrow(/memoryLimitMb: /)
    expect(refused({ maxIsolate: 8 })).toThrow(/maxIsolate/)
    expect(refused({ allowedHosts: 'api.example.com' })).toThrow(/allowedHosts: /)
    expect(refused({ secrets: { TOKEN: 42 } })).toThrow(/secrets\.TOKEN: /)
    expect(refused(['maxCalls'])).toThrow(/\(the config\)/)
    expect(() => parsePluginConfig('{"a":')).toThrow(/CULM_PLUGIN_CONFIG is not JSON/)
    expect(() => parsePluginConfig('[]')).toThrow(/must be an object of plugin configs/)
  })
})
