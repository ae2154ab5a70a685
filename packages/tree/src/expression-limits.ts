import { FRAGMENT } from './template-refs.js'

/**
 * The size an expression of a tree may have: a `${...}` fragment or a gateway condition. The
 * same numbers bound `@culm/expr` when it compiles (a test holds them together), so that a tree
 * the validator accepts never meets them at run time, and jexl's compile (quadratic in nesting)
 * only ever sees bounded input.
 */
export const EXPRESSION_LIMITS = Object.freeze({
  /** Characters of one expression. */
  maxExpressionLength: 4096,
  /** Brackets (`(`, `[`, `{`) open at once in one expression. */
  maxNesting: 64,
})

/** What is wrong with an expression's size or nesting, or undefined. */
export function expressionSizeProblem(source: string): string | undefined {
  if (source.length > EXPRESSION_LIMITS.maxExpressionLength) {
    return `the expression is ${source.length} characters long, over the limit of ${EXPRESSION_LIMITS.maxExpressionLength}`
  }
  let depth = 0
  let deepest = 0
  for (let i = 0; i < source.length; i++) {
    const char = source.charCodeAt(i)
    // ( [ {  and  ) ] }
    if (char === 40 || char === 91 || char === 123) {
      depth++
      if (depth > deepest) deepest = depth
    } else if ((char === 41 || char === 93 || char === 125) && depth > 0) depth--
  }
  if (deepest > EXPRESSION_LIMITS.maxNesting) {
    return `the expression nests ${deepest} brackets deep, over the limit of ${EXPRESSION_LIMITS.maxNesting}`
  }
  return undefined
}

/** The problems of every `${...}` fragment in the strings of a JSON value. */
export function oversizedFragments(value: unknown): string[] {
  const problems: string[] = []
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const current = stack.pop()
    if (typeof current === 'string') {
      if (!current.includes('${')) continue
      for (const match of current.matchAll(FRAGMENT)) {
        const problem = expressionSizeProblem(match[1]!)
        if (problem) problems.push(problem)
      }
    } else if (Array.isArray(current)) {
      for (const item of current) stack.push(item)
    } else if (current !== null && typeof current === 'object') {
      for (const item of Object.values(current)) stack.push(item)
    }
  }
  return problems
}
