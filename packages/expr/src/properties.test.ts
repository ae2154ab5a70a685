import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { evaluateCondition, isExprError, references, render } from './index.js'

const PIECES = [
  '${',
  '}',
  '${a}',
  '${a.b}',
  '${a|upper}',
  '${len(l)}',
  '${l[0]}',
  '${n + 1}',
  '${x.split(",")[0]}',
  '${missing}',
  '$',
  '{',
  '"',
  "'",
  '(',
  ')',
  '[',
  ']',
  ' and ',
  ' or ',
  ' in ',
  ' == ',
  ' < ',
  '.',
  '|',
  ',',
  '-',
  '1',
  '*',
  'True',
]

const templated = fc
  .array(fc.oneof(fc.string(), fc.constantFrom(...PIECES)), { maxLength: 12 })
  .map((parts) => parts.join(''))

const context = { a: { b: 1 }, l: [1, 2], n: 3, x: 'p,q', s: 'text' }

// A fixed number of generated cases: on a busy machine they take longer, never fewer.
describe('properties', { timeout: 180_000 }, () => {
  it('render never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.json(), fc.dictionary(fc.string(), fc.jsonValue()), (json, ctx) => {
        render(JSON.parse(json), ctx)
      }),
    )
  })

  it('render never throws on strings with fragments mixed in', () => {
    fc.assert(
      fc.property(templated, (text) => {
        render(text, context)
        render({ [text]: [text] }, context)
      }),
    )
  })

  it('render returns a string without fragments unchanged', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!text.includes('${'))
        expect(render(text, context)).toBe(text)
      }),
    )
  })

  it('render does not change its input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const before = JSON.stringify(value)
        render(value, context)
        expect(JSON.stringify(value)).toBe(before)
      }),
    )
  })

  it('references never throws and lists each name once', () => {
    fc.assert(
      fc.property(fc.oneof(templated, fc.json()), (value) => {
        const names = references(value)
        expect(new Set(names).size).toBe(names.length)
      }),
    )
  })

  it('evaluateCondition returns a boolean or throws an ExprError', () => {
    fc.assert(
      fc.property(templated, (condition) => {
        try {
          expect(typeof evaluateCondition(condition, context)).toBe('boolean')
        } catch (error) {
          expect(isExprError(error)).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })
})
