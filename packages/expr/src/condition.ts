import { ExprError } from './errors.js'
import { BoundedCache } from './internal/bounded-cache.js'
import { asExprError, ExpressionCompiler, evaluateCompiled } from './internal/compiler.js'
import { createConditionJexl } from './internal/condition-operators.js'
import { ConditionTranslator, type Lexeme, lex } from './internal/condition-syntax.js'
import { bareContext } from './internal/objects.js'
import { pyTruthy } from './internal/python-values.js'

const conditions = new ExpressionCompiler(createConditionJexl())
const lexed = new BoundedCache<readonly Lexeme[]>(5_000)

const FAILURES = {
  CONDITION_SYNTAX: 'has a syntax error',
  CONDITION_EVAL: 'could not be evaluated',
  FORBIDDEN_ACCESS: 'was refused',
} as const

interface Failure {
  /** The code when `error` is not already an `ExprError` with one of ours. */
  code: keyof typeof FAILURES
  /** The jexl source the condition was rewritten into. */
  source?: string
}

function conditionError(expression: string, error: unknown, { code, source }: Failure): ExprError {
  const cause = asExprError(error, code)
  const kind = Object.hasOwn(FAILURES, cause.code) ? (cause.code as keyof typeof FAILURES) : code
  // jexl ends its messages with the rewritten source, which only confuses a reader.
  const reason =
    source !== undefined && cause.message.endsWith(`: ${source}`)
      ? cause.message.slice(0, -source.length - 2)
      : cause.message
  return new ExprError(kind, `condition "${expression}" ${FAILURES[kind]}: ${reason}`, {
    expression,
    cause,
  })
}

function lexemesOf(expression: string): readonly Lexeme[] {
  let lexemes = lexed.get(expression)
  if (lexemes === undefined) {
    lexemes = lex(expression)
    lexed.set(expression, lexemes)
  }
  return lexemes
}

/**
 * Evaluates a gateway condition as the Python engine's boolrule does (`==`, `in`, `notin`,
 * `issuperset`, `and`/`or`, `(1, 2)` lists, `*`), also accepting jexl (`&&`, `!`, transforms).
 * Throws an `ExprError`: CONDITION_SYNTAX, CONDITION_EVAL or FORBIDDEN_ACCESS.
 * @example
 * evaluateCondition('${bk_timing} <= 10 and ${env} in ("prod", "pre")', {
 *   bk_timing: '5',
 *   env: 'prod',
 * }) // true
 */
export function evaluateCondition(expression: string, context: Record<string, unknown>): boolean {
  if (expression.trim() === '*') return true
  const bare = bareContext(context)
  let translation: ReturnType<ConditionTranslator['translate']>
  try {
    translation = new ConditionTranslator(lexemesOf(expression), bare).translate()
  } catch (error) {
    throw conditionError(expression, error, { code: 'CONDITION_SYNTAX' })
  }
  const compilation = conditions.compile(translation.source)
  if (!compilation.ok) {
    throw conditionError(expression, compilation.error, {
      code: 'CONDITION_SYNTAX',
      source: translation.source,
    })
  }
  const { compiled } = compilation
  const scope: Record<string, unknown> = Object.create(null)
  for (const root of compiled.roots) {
    scope[root] = root.startsWith('$') ? translation.values[Number(root.slice(1))] : bare[root]
  }
  try {
    return pyTruthy(evaluateCompiled(compiled, scope))
  } catch (error) {
    throw conditionError(expression, error, { code: 'CONDITION_EVAL', source: translation.source })
  }
}
