import { describe, expect, it } from 'vitest'
import { DEFAULT_PORT, readConfig } from './config.js'

describe('readConfig', () => {
  it('defaults to SQLite, port 8080 and /engine-admin', () => {
    const config = readConfig({})
    expect(config.databaseUrl).toBe('sqlite:./.culm/culm.db')
    expect(config.port).toBe(DEFAULT_PORT)
    expect(config.adminPrefix).toBe('/engine-admin')
  })

  it('prefers CULM_PORT over PORT and drops a trailing slash of the prefix', () => {
    const config = readConfig({ CULM_PORT: '9000', PORT: '7000', CULM_ADMIN_PREFIX: '/ops/' })
    expect(config.port).toBe(9000)
    expect(config.adminPrefix).toBe('/ops')
  })

  it('refuses a port that is not a number and a prefix without a leading slash', () => {
    expect(() => readConfig({ PORT: 'eighty' })).toThrow(/port must be an integer/)
    expect(() => readConfig({ CULM_ADMIN_PREFIX: 'ops' })).toThrow(/must start with \//)
  })

  it('watches the event loop for 60 s unless CULM_WATCHDOG_SECONDS says otherwise', () => {
    expect(readConfig({}).watchdogSeconds).toBe(60)
    expect(readConfig({ CULM_WATCHDOG_SECONDS: '0' }).watchdogSeconds).toBe(0)
    expect(() => readConfig({ CULM_WATCHDOG_SECONDS: 'soon' })).toThrow(
      /CULM_WATCHDOG_SECONDS must be a number of seconds/,
    )
  })

  it('runs 8 engine steps at once unless CULM_ENGINE_CONCURRENCY says otherwise', () => {
    expect(readConfig({}).concurrency).toBe(8)
    expect(readConfig({ CULM_ENGINE_CONCURRENCY: '2' }).concurrency).toBe(2)
    expect(() => readConfig({ CULM_ENGINE_CONCURRENCY: '0' })).toThrow(/positive integer/)
  })
})
