import { ExprError } from '../errors.js'
import { FRAGMENT_SOURCE, referenceExpression } from '../template.js'
import {
  asExprError,
  type Compilation,
  createJexl,
  ExpressionCompiler,
  evaluateCompiled,
} from './compiler.js'
import { defineValue, isPlainObject } from './objects.js'
import { fromPython } from './python-syntax.js'
import { textOf } from './python-values.js'
import { forbidden } from './sandbox.js'

/** Called for each fragment left unrendered; it may throw to stop rendering. */
export type FragmentFailure = (error: ExprError) => void

type Outcome = { ok: true; value: unknown } | { ok: false; error: ExprError }

const templates = new ExpressionCompiler(createJexl(), fromPython)
const FRAGMENTS = new RegExp(FRAGMENT_SOURCE, 'g')

/** Compiles the expression of a template fragment (Python spellings accepted). */
export function compileFragment(expression: string): Compilation {
  return templates.compile(expression)
}

function failure(error: ExprError, fragment: string): Outcome {
  const reason = error.message
  return {
    ok: false,
    error: new ExprError(error.code, `\${${fragment}}: ${reason}`, {
      expression: fragment,
      cause: error,
      ...(error.keys ? { keys: error.keys } : {}),
    }),
  }
}

/** Evaluates one fragment's expression against a bare-keyed context. */
export function evaluateFragment(expression: string, context: Record<string, unknown>): Outcome {
  const compilation = templates.compile(expression)
  if (!compilation.ok) return failure(compilation.error, expression)
  const { compiled } = compilation
  const missing = compiled.roots.filter((root) => !Object.hasOwn(context, root))
  if (missing.length > 0) {
    const error = new ExprError('REFERENCE_MISSING', `unknown name(s) ${missing.join(', ')}`, {
      keys: missing,
    })
    return failure(error, expression)
  }
  let value: unknown
  try {
    value = evaluateCompiled(compiled, context)
  } catch (error) {
    return failure(asExprError(error, 'CONDITION_EVAL'), expression)
  }
  if (typeof value === 'function') return failure(forbidden('a function'), expression)
  if (value === undefined) {
    return failure(new ExprError('CONDITION_EVAL', 'the expression has no value'), expression)
  }
  return { ok: true, value }
}

/** Substitutes every fragment of `text` as text; failed fragments stay as they were. */
export function substitute(
  text: string,
  context: Record<string, unknown>,
  onFailure?: FragmentFailure,
): string {
  if (!text.includes('${')) return text
  return text.replace(FRAGMENTS, (fragment, expression: string) => {
    const outcome = evaluateFragment(expression, context)
    if (outcome.ok) return textOf(outcome.value)
    overLimit(outcome.error)
    onFailure?.(outcome.error)
    return fragment
  })
}

/** Renders a string: exactly one fragment keeps its value's type, else text substitution. */
export function renderString(
  text: string,
  context: Record<string, unknown>,
  onFailure?: FragmentFailure,
): unknown {
  if (!text.includes('${')) return text
  const expression = referenceExpression(text)
  if (expression === undefined) return substitute(text, context, onFailure)
  const outcome = evaluateFragment(expression, context)
  if (outcome.ok) return outcome.value
  overLimit(outcome.error)
  onFailure?.(outcome.error)
  return text
}

/**
 * A fragment that fails is left as its text, as the Python engine leaves it; one over the
 * expression limits fails the rendering instead, so that its node fails saying why.
 */
function overLimit(error: ExprError): void {
  if (error.code === 'LIMIT_EXCEEDED') throw error
}

interface Frame {
  entries: [string, unknown][]
  target: unknown[] | Record<string, unknown>
  next: number
}

function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  return Array.isArray(value) || isPlainObject(value)
}

function frameOf(source: unknown[] | Record<string, unknown>): Frame {
  const target = Array.isArray(source) ? new Array<unknown>(source.length) : {}
  return { entries: Object.entries(source), target, next: 0 }
}

/** Renders every string inside `value` (array items, object values) into new structures. */
export function renderValue(
  value: unknown,
  context: Record<string, unknown>,
  onFailure?: FragmentFailure,
): unknown {
  if (typeof value === 'string') return renderString(value, context, onFailure)
  if (!isContainer(value)) return value
  // Depth-first with an explicit stack, in document order: deep input must not overflow.
  const root = frameOf(value)
  const stack = [root]
  while (stack.length > 0) {
    const frame = stack.at(-1) as Frame
    const entry = frame.entries[frame.next++]
    if (entry === undefined) {
      stack.pop()
      continue
    }
    const [key, item] = entry
    let rendered: unknown = item
    if (typeof item === 'string') {
      rendered = renderString(item, context, onFailure)
    } else if (isContainer(item)) {
      const child = frameOf(item)
      stack.push(child)
      rendered = child.target
    }
    if (Array.isArray(frame.target)) frame.target[Number(key)] = rendered
    else defineValue(frame.target, key, rendered)
  }
  return root.target
}
