import { describe, expect, it } from 'vitest'
import { readOfflineConfig } from './config.js'
import { localTimeZone } from './schedule.js'

describe('readOfflineConfig', () => {
  it("reads the time zone of cron expressions, the process's own by default", () => {
    expect(readOfflineConfig({}).timezone).toBe(localTimeZone())
    expect(readOfflineConfig({ CULM_OFFLINE_TIMEZONE: 'Asia/Shanghai' }).timezone).toBe(
      'Asia/Shanghai',
    )
    expect(() => readOfflineConfig({ CULM_OFFLINE_TIMEZONE: 'Asia/Nowhere' })).toThrow(
      'CULM_OFFLINE_TIMEZONE must be a time zone name such as Asia/Shanghai or UTC, got "Asia/Nowhere"',
    )
  })

  it('refuses a poll interval under 50 ms and a prefix without its slash', () => {
    expect(() => readOfflineConfig({ CULM_OFFLINE_POLL_MS: '10' })).toThrow(/at least 50/)
    expect(() => readOfflineConfig({ CULM_OFFLINE_PREFIX: 'flow' })).toThrow(/must start with \//)
    expect(readOfflineConfig({ CULM_OFFLINE_PREFIX: '/flow/' }).prefix).toBe('/flow')
  })
})
