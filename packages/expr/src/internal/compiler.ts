import jexl from 'jexl'
import { ExprError, fromStringified } from '../errors.js'
import { assertExpressionWithinLimits, withinWorkBudget } from '../limits.js'
import { BoundedCache } from './bounded-cache.js'
import type { Expression, Jexl } from './jexl-types.js'
import { harden, READ_INDEX, READ_PROPERTY, readMember, readProperty } from './sandbox.js'
import { TRANSFORMS } from './transforms.js'

/** A hardened expression and the context names it reads. */
export interface Compiled {
  readonly expression: Expression
  readonly roots: readonly string[]
  /** Set when the whole expression is one context name: read it without jexl. */
  readonly identifier: string | undefined
}

/** The outcome of compiling, failures included, so that they are cached too. */
export type Compilation = { ok: true; compiled: Compiled } | { ok: false; error: ExprError }

const CACHE_SIZE = 5_000

/** A jexl instance of our own, with the transforms and the sandbox's readers. */
export function createJexl(): Jexl {
  const instance = new jexl.Jexl()
  for (const [name, transform] of Object.entries(TRANSFORMS)) {
    instance.addTransform(name, transform)
    instance.addFunction(name, transform)
  }
  instance.addFunction(READ_PROPERTY, readProperty)
  instance.addFunction(READ_INDEX, readMember)
  return instance
}

/** Converts anything thrown into an `ExprError`, keeping an `ExprError` as it is. */
export function asExprError(error: unknown, code: ExprError['code']): ExprError {
  if (error instanceof ExprError) return error
  const restored = error instanceof Error ? fromStringified(error) : undefined
  if (restored) return restored
  const reason = error instanceof Error ? error.message : String(error)
  return new ExprError(code, reason, { cause: error })
}

/** Compiles expressions on one jexl instance, through a bounded cache. */
export class ExpressionCompiler {
  readonly #jexl: Jexl
  readonly #translate: (source: string) => string
  readonly #cache = new BoundedCache<Compilation>(CACHE_SIZE)

  constructor(instance: Jexl, translate: (source: string) => string = (source) => source) {
    this.#jexl = instance
    this.#translate = translate
  }

  compile(source: string): Compilation {
    let compilation = this.#cache.get(source)
    if (compilation === undefined) {
      compilation = this.#compile(source)
      this.#cache.set(source, compilation)
    }
    return compilation
  }

  #compile(source: string): Compilation {
    try {
      // Before jexl sees it: its compile is quadratic in nesting.
      assertExpressionWithinLimits(source)
      const expression = this.#jexl.compile(this.#translate(source))
      const ast = expression._getAst()
      if (!ast) return { ok: false, error: new ExprError('CONDITION_SYNTAX', 'empty expression') }
      const roots = harden(ast)
      const identifier = ast.type === 'Identifier' && roots.length === 1 ? roots[0] : undefined
      return { ok: true, compiled: { expression, roots: [...new Set(roots)], identifier } }
    } catch (error) {
      return { ok: false, error: asExprError(error, 'CONDITION_SYNTAX') }
    }
  }
}

/** Evaluates a compiled expression; every root must be an own key of `context`. */
export function evaluateCompiled(compiled: Compiled, context: Record<string, unknown>): unknown {
  if (compiled.identifier !== undefined) return context[compiled.identifier]
  return withinWorkBudget(() => compiled.expression.evalSync(context))
}
