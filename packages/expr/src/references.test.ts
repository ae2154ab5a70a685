import { describe, expect, it } from 'vitest'
import { references } from './index.js'

describe('references', () => {
  it('lists the root names of an expression', () => {
    expect(references('${a.b + c}')).toEqual(['a', 'c'])
  })

  it('does not count transforms, functions or literals', () => {
    expect(references('${name|upper}')).toEqual(['name'])
    expect(references('${len(items)}')).toEqual(['items'])
    expect(references('${"lit"}')).toEqual([])
    expect(references('${1 + 2}')).toEqual([])
  })

  it('does not count property names', () => {
    expect(references('${a.b.c}')).toEqual(['a'])
    expect(references('${a["b"]}')).toEqual(['a'])
  })

  it('counts the names used as keys and inside filters', () => {
    expect(references('${a[b]}')).toEqual(['a', 'b'])
    expect(references('${items[.size > limit]}')).toEqual(['items', 'limit'])
  })

  it('reads the Python spellings', () => {
    expect(references('${ips.split(",")[0]}')).toEqual(['ips'])
    expect(references('${",".join(names)}')).toEqual(['names'])
    expect(references('${x[1:n]}')).toEqual(['x', 'n'])
  })

  it('walks arrays and object values, not keys, in order of first appearance', () => {
    const value = {
      '${key}': 'x ${b} ${a}',
      list: ['${c}', { deep: '${a} ${d}' }],
      other: 1,
      none: null,
    }
    expect(references(value)).toEqual(['b', 'a', 'c', 'd'])
  })

  it('deduplicates', () => {
    expect(references(['${a}', '${a} ${b}', '${b + a}'])).toEqual(['a', 'b'])
  })

  it('skips fragments that do not parse', () => {
    expect(references('${a +} ${b}')).toEqual(['b'])
    expect(references('${x.constructor} ${y}')).toEqual(['y'])
  })

  it('finds nothing in values without templates', () => {
    expect(references(42)).toEqual([])
    expect(references('plain')).toEqual([])
    expect(references(undefined)).toEqual([])
  })
})
