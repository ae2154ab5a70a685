/** Evaluates a gateway condition with boolrule's answers; jexl syntax is accepted too. */
export { evaluateCondition } from './condition.js'
/** Options of `resolveConstants` and the lazy-variable callback. */
export type { LazyResolver, ResolveConstantsOptions } from './constants.js'
/** Resolves constants that reference one another, in dependency order. */
export { resolveConstants } from './constants.js'
/** The details an `ExprError` carries and the union of its codes. */
export type { ExprErrorCode, ExprErrorDetails } from './errors.js'
/** The error type of @culm/expr, its codes and a type guard. */
export { EXPR_ERROR_CODES, ExprError, isExprError } from './errors.js'
/** Converts between `${key}` and `key`. */
export { bareKey, formatKey } from './keys.js'
/** What one expression may be and produce, and the check of an expression against it. */
export { EXPR_LIMITS, expressionLimitProblem } from './limits.js'
/** The context names a value's templates read. */
export { references } from './references.js'
/** Options of `render`. */
export type { RenderOptions } from './render.js'
/** Renders `${...}` templates inside any JSON value. */
export { render } from './render.js'
/** One `${...}` fragment of a string. */
export type { TemplateFragment } from './template.js'
/** Finds `${...}` fragments; tells a single-fragment reference apart. */
export { isReference, templateFragments } from './template.js'
