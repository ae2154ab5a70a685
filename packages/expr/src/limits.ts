import { EXPRESSION_LIMITS, expressionSizeProblem } from '@culm/tree'
import { ExprError } from './errors.js'

/**
 * What one expression may be and produce. They bound the work and memory of any expression in
 * the host: the compile (length and nesting), and every value a transform makes (strings and
 * lists), so that a `replace` chain cannot multiply a string past the heap.
 */
export const EXPR_LIMITS = Object.freeze({
  /** Characters of one `${...}` fragment or one gateway condition (the tree's limit). */
  maxExpressionLength: EXPRESSION_LIMITS.maxExpressionLength,
  /** Brackets (`(`, `[`, `{`) open at once in one expression (the tree's limit). */
  maxNesting: EXPRESSION_LIMITS.maxNesting,
  /** Characters of a string a transform makes. */
  maxStringLength: 1_000_000,
  /** Items of a list a transform makes. */
  maxListLength: 100_000,
  /**
   * Work of one evaluation: the characters and items its transforms take and make, summed. A
   * chain of transforms each under the size limits stops here.
   */
  maxWork: 20_000_000,
})

/** The work left to the evaluation under way (evaluations run synchronously, one at a time). */
let workLeft = Number.POSITIVE_INFINITY

/**
 * Runs one evaluation with the work budget of `EXPR_LIMITS`. Its result may be a string no longer
 * than the budget: a chain of `+` builds one without a transform.
 */
export function withinWorkBudget<T>(evaluate: () => T): T {
  const outer = workLeft
  workLeft = EXPR_LIMITS.maxWork
  try {
    const result = evaluate()
    if (typeof result === 'string' && result.length > EXPR_LIMITS.maxWork) {
      throw new ExprError(
        'LIMIT_EXCEEDED',
        `the expression made a string of ${result.length} characters, over the limit of ${EXPR_LIMITS.maxWork}`,
      )
    }
    return result
  } finally {
    workLeft = outer
  }
}

/** Counts work against the evaluation under way; throws `LIMIT_EXCEEDED` past its budget. */
export function spendWork(units: number): void {
  workLeft -= units
  if (workLeft < 0) {
    workLeft = Number.POSITIVE_INFINITY
    throw new ExprError(
      'LIMIT_EXCEEDED',
      `the expression did more than ${EXPR_LIMITS.maxWork} units of work (characters and items its transforms took and made)`,
    )
  }
}

/** The work a transform's argument or result counts for: its characters or items. */
export function workOf(value: unknown): number {
  if (typeof value === 'string') return value.length
  if (Array.isArray(value)) return value.length
  return 1
}

/** What is wrong with an expression's size or nesting, or undefined (the tree's own check). */
export const expressionLimitProblem = expressionSizeProblem

/** Throws `LIMIT_EXCEEDED` for an expression over the size or nesting limits. */
export function assertExpressionWithinLimits(source: string): void {
  const problem = expressionLimitProblem(source)
  if (problem) throw new ExprError('LIMIT_EXCEEDED', problem, { expression: source.slice(0, 200) })
}

/** Throws `LIMIT_EXCEEDED` when a transform would make a string or list over the limits. */
export function assertProduct(name: string, size: number, kind: 'string' | 'list'): void {
  const limit = kind === 'string' ? EXPR_LIMITS.maxStringLength : EXPR_LIMITS.maxListLength
  if (size > limit) {
    throw new ExprError(
      'LIMIT_EXCEEDED',
      `${name}() would make a ${kind} over the limit of ${limit} ${kind === 'string' ? 'characters' : 'items'}`,
    )
  }
}
