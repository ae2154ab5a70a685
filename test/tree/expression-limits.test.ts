import { EXPR_LIMITS } from '@culm/expr'
import { EXPRESSION_LIMITS, expressionSizeProblem } from '@culm/tree'
import { describe, expect, it } from 'vitest'

describe('the expression limits of the validator and of the evaluator', () => {
  it('are the same numbers, so that a tree the validator accepts never meets them at run time', () => {
    expect(EXPRESSION_LIMITS.maxExpressionLength).toBe(EXPR_LIMITS.maxExpressionLength)
    expect(EXPRESSION_LIMITS.maxNesting).toBe(EXPR_LIMITS.maxNesting)
    const deep = `${'('.repeat(EXPR_LIMITS.maxNesting + 1)}1${')'.repeat(EXPR_LIMITS.maxNesting + 1)}`
    expect(expressionSizeProblem(deep)).toMatch(/over the limit of 64/)
  })
})
