import { describe, expect, it } from 'vitest'
import { evaluateCondition } from './condition.js'
import { ExprError } from './errors.js'
import { EXPR_LIMITS, expressionLimitProblem } from './limits.js'
import { render } from './render.js'

function rendering(value: unknown, context: Record<string, unknown> = {}): ExprError {
  try {
    render(value, context)
  } catch (error) {
    if (error instanceof ExprError) return error
    throw error
  }
  throw new TypeError('the rendering did not fail')
}

describe('expression limits', () => {
  it('stops a chain of replaces before it makes a string over the limit', () => {
    // Each replace multiplies the string by ten: 10^9 characters after nine of them.
    const chain = Array.from({ length: 9 }, () => '|replace("a","aaaaaaaaaa")').join('')
    const error = rendering(`\${s${chain}}`, { s: 'a' })
    expect(error.code).toBe('LIMIT_EXCEEDED')
    expect(error.message).toMatch(
      /replace\(\) would make a string over the limit of 1000000 characters$/,
    )
    expect(render(`\${s|replace("a","aaa")}`, { s: 'aa' })).toBe('aaaaaa')
  })

  it('stops a split into more items than the limit, and a join into a string over it', () => {
    const text = 'a,'.repeat(EXPR_LIMITS.maxListLength + 1)
    expect(rendering('${t|split(",")}', { t: text }).message).toMatch(/split\(\) would make a list/)
    const items = Array.from({ length: 20 }, () => 'x'.repeat(60_000))
    expect(rendering('${l|join("")}', { l: items }).message).toMatch(/join\(\) would make a string/)
  })

  it('refuses an expression too long or nested too deeply before compiling it', () => {
    const nested = `${'('.repeat(5_000)}1${')'.repeat(5_000)}`
    expect(expressionLimitProblem(nested)).toMatch(/over the limit of 4096/)
    const deep = `${'('.repeat(100)}1${')'.repeat(100)}`
    expect(expressionLimitProblem(deep)).toBe(
      'the expression nests 100 brackets deep, over the limit of 64',
    )
    expect(rendering(`\${${deep}}`).code).toBe('LIMIT_EXCEEDED')
    expect(() => evaluateCondition(deep, {})).toThrow(/nests 100 brackets deep/)
    expect(expressionLimitProblem('(((1)))')).toBeUndefined()
  })

  it('stops an evaluation whose transforms together do more work than the budget', () => {
    // Each upper() stays under the size limits; sixty of them on 900,000 characters do not.
    const chain = Array.from({ length: 60 }, () => '|upper').join('')
    const error = rendering(`\${s${chain}}`, { s: 'a'.repeat(900_000) })
    expect(error.code).toBe('LIMIT_EXCEEDED')
    expect(error.message).toMatch(/did more than 20000000 units of work/)
    // The budget is per evaluation: the same work split over two fragments passes.
    const half = Array.from({ length: 5 }, () => '|upper').join('')
    expect(render(`\${s${half}}-\${s${half}}`, { s: 'ab' })).toBe('AB-AB')
  })

  it('stops a chain of + that builds a string past the budget', () => {
    const sum = Array.from({ length: 30 }, () => 's').join(' + ')
    const error = rendering(`\${${sum}}`, { s: 'x'.repeat(1_000_000) })
    expect(error.code).toBe('LIMIT_EXCEEDED')
    expect(error.message).toMatch(/made a string of 30000000 characters, over the limit/)
    expect(render('${s + s}', { s: 'ab' })).toBe('abab')
  })
})
