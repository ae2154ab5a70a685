import { describe, expect, it } from 'vitest'
import { bareKey, formatKey, isReference, templateFragments } from './index.js'

describe('templateFragments', () => {
  it('finds every fragment with its expression and offsets', () => {
    expect(templateFragments('a ${x} b ${y.z|upper}')).toEqual([
      { text: '${x}', expression: 'x', start: 2, end: 6 },
      { text: '${y.z|upper}', expression: 'y.z|upper', start: 9, end: 21 },
    ])
  })

  it('finds adjacent fragments', () => {
    expect(templateFragments('${a}${b}').map((fragment) => fragment.expression)).toEqual(['a', 'b'])
  })

  it('ignores text without a complete fragment', () => {
    expect(templateFragments('no template')).toEqual([])
    expect(templateFragments('${unclosed')).toEqual([])
    expect(templateFragments('${}')).toEqual([])
  })

  it('follows the Python pattern: no $, {, } or # inside a fragment', () => {
    expect(templateFragments('${a${b}}').map((fragment) => fragment.text)).toEqual(['${b}'])
    expect(templateFragments('${a # comment}')).toEqual([])
    expect(templateFragments('${ {"a": 1} }')).toEqual([])
  })
})

describe('isReference', () => {
  it('is true for a string that is exactly one fragment', () => {
    expect(isReference('${a}')).toBe(true)
    expect(isReference('${a.b[0]|upper}')).toBe(true)
  })

  it('is false for templates, plain text and other values', () => {
    expect(isReference(' ${a}')).toBe(false)
    expect(isReference('${a}${b}')).toBe(false)
    expect(isReference('a')).toBe(false)
    expect(isReference(1)).toBe(false)
    expect(isReference(null)).toBe(false)
  })
})

describe('formatKey and bareKey', () => {
  it('wraps and unwraps context keys', () => {
    expect(formatKey('name')).toBe('${name}')
    expect(bareKey('${name}')).toBe('name')
  })

  it('accepts keys in either form', () => {
    expect(formatKey('${name}')).toBe('${name}')
    expect(bareKey('name')).toBe('name')
  })
})
