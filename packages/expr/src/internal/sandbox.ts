import { ExprError } from '../errors.js'
import type { Ast } from './jexl-types.js'
import { assertNever } from './objects.js'
import { isTransform } from './transforms.js'

// Expressions read data only. Every property read goes through `readMember`, which sees
// own properties and nothing else; calls reach registered transforms only; names that
// lead to prototypes or constructors are refused before anything runs.

/** The function a hardened `a.b` calls; `#` cannot appear in an expression. */
export const READ_PROPERTY = '#property'
/** The function a hardened `a[b]` calls. */
export const READ_INDEX = '#index'

const DUNDER = /^__.*__$/

/** True for names that lead to prototypes, constructors or Python internals. */
export function isForbiddenName(name: string): boolean {
  return name === 'constructor' || name === 'prototype' || DUNDER.test(name)
}

const BUILTIN_PROTOTYPES: readonly object[] = [
  Object.prototype,
  String.prototype,
  Array.prototype,
  Number.prototype,
  Boolean.prototype,
]

// `list[.name == 1]` reads `.name` of each item without our guard, so such names must
// not resolve to a builtin method.
function isBuiltinMember(name: string): boolean {
  return name !== 'length' && BUILTIN_PROTOTYPES.some((proto) => name in proto)
}

/** The error for an access the sandbox refuses. */
export function forbidden(what: string): ExprError {
  return new ExprError('FORBIDDEN_ACCESS', `access to ${what} is not allowed`)
}

function checkName(name: string): void {
  if (isForbiddenName(name)) throw forbidden(`'${name}'`)
}

/** Reads `subject[key]`, own properties only; a negative index counts from the end. */
export function readMember(subject: unknown, key: unknown): unknown {
  if (typeof key === 'boolean') return key ? subject : undefined
  if (typeof key === 'number') {
    if ((Array.isArray(subject) || typeof subject === 'string') && Number.isInteger(key)) {
      const index = key < 0 ? subject.length + key : key
      return index >= 0 && index < subject.length ? subject[index] : undefined
    }
    return readMember(subject, String(key))
  }
  if (typeof key !== 'string') return undefined
  checkName(key)
  if (subject === null || (typeof subject !== 'object' && typeof subject !== 'string')) {
    return undefined
  }
  return Object.hasOwn(Object(subject), key) ? (subject as Record<string, unknown>)[key] : undefined
}

/** `a.b` as jexl reads it: on a list, the property of its first item (but `list.length`). */
export function readProperty(subject: unknown, key: unknown): unknown {
  if (Array.isArray(subject) && key !== 'length') return readMember(subject[0], key)
  return readMember(subject, key)
}

function become(node: Ast, next: Ast): void {
  const target = node as Record<string, unknown>
  for (const key of Object.keys(target)) delete target[key]
  Object.assign(target, next)
}

function call(name: string, args: Ast[]): Ast {
  return { type: 'FunctionCall', name, pool: 'functions', args }
}

/**
 * Rewrites a parsed expression in place so that it can only read data, and returns the
 * names it reads from the context (its root identifiers), in order of appearance.
 */
export function harden(ast: Ast): string[] {
  const roots: string[] = []
  // An explicit stack: a long chain of `a + b + c ...` must not exhaust the call stack.
  const stack: { node: Ast; relative: boolean }[] = [{ node: ast, relative: false }]
  const visit = (node: Ast | undefined, relative: boolean): void => {
    if (node) stack.push({ node, relative })
  }
  while (stack.length > 0) {
    const { node, relative } = stack.pop() as { node: Ast; relative: boolean }
    switch (node.type) {
      case 'Literal':
        break
      case 'Identifier':
        checkName(node.value)
        if (node.from) {
          visit(node.from, relative)
          become(node, call(READ_PROPERTY, [node.from, { type: 'Literal', value: node.value }]))
        } else if (node.relative && relative) {
          if (isBuiltinMember(node.value)) throw forbidden(`'${node.value}'`)
        } else {
          roots.push(node.value)
        }
        break
      case 'FilterExpression':
        visit(node.expr, relative || node.relative)
        visit(node.subject, relative)
        if (!node.relative) {
          if (node.expr.type === 'Literal' && typeof node.expr.value === 'string') {
            checkName(node.expr.value)
          }
          become(node, call(READ_INDEX, [node.subject, node.expr]))
        }
        break
      case 'BinaryExpression':
        visit(node.right, relative)
        visit(node.left, relative)
        break
      case 'UnaryExpression':
        visit(node.right, relative)
        break
      case 'ConditionalExpression':
        visit(node.alternate, relative)
        visit(node.consequent, relative)
        visit(node.test, relative)
        break
      case 'ArrayLiteral':
        for (let i = node.value.length - 1; i >= 0; i--) visit(node.value[i], relative)
        break
      case 'ObjectLiteral':
        for (const [key, value] of Object.entries(node.value).reverse()) {
          checkName(key)
          visit(value, relative)
        }
        break
      case 'FunctionCall':
        if (!isTransform(node.name)) {
          checkName(node.name)
          const kind = node.pool === 'transforms' ? 'transform' : 'function'
          throw new ExprError('CONDITION_SYNTAX', `unknown ${kind} '${node.name}'`)
        }
        for (let i = node.args.length - 1; i >= 0; i--) visit(node.args[i], relative)
        break
      default:
        assertNever(node)
    }
  }
  return roots
}
