import { describe, expect, it } from 'vitest'
import { compareVersions, defaultVersion } from './component-version.js'

describe('the version an unversioned tree runs', () => {
  it('is legacy when a component defines it', () => {
    expect(defaultVersion(['2.0', 'legacy', '1.0'])).toBe('legacy')
  })

  it('is otherwise the highest version, numbers compared as numbers', () => {
    expect(defaultVersion(['1.10', '2.0', '1.9'])).toBe('2.0')
    expect(defaultVersion(['1.9', '1.10'])).toBe('1.10')
    expect(defaultVersion([])).toBeUndefined()
  })

  it('orders segments as numbers, then as text', () => {
    expect(['1.10', '1.2', '1.2.1', '1.a'].sort(compareVersions)).toEqual([
      '1.2',
      '1.2.1',
      '1.10',
      '1.a',
    ])
  })
})
