import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, tooDeep } from './json-depth.js'

const nest = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}1${']'.repeat(levels)}`)

describe('tooDeep', () => {
  it('accepts values up to the limit and names where a deeper one starts', () => {
    expect(tooDeep({ a: nest(MAX_JSON_DEPTH - 1) })).toBeNull()
    expect(tooDeep({ a: nest(MAX_JSON_DEPTH) })).toBe(`a${'.0'.repeat(MAX_JSON_DEPTH - 1)}`)
  })

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(tooDeep({ data: nest(100_000) }, 10)).toBe(`data${'.0'.repeat(9)}`)
  })
})
