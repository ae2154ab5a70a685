import { createJexl } from './compiler.js'
import type { Jexl } from './jexl-types.js'
import {
  coerceMembers,
  coerceOperands,
  type Ordering,
  pyCompare,
  pyEq,
  pyIn,
  pyIsSuperset,
  pyTruthy,
} from './python-values.js'

interface Operand {
  eval(): { then(next: (value: unknown) => unknown): unknown }
}

type LazyBinaryOp = (
  operator: string,
  precedence: number,
  evaluate: (left: Operand, right: Operand) => unknown,
  manualEval: true,
) => void

// jexl's precedence of its own comparisons, and of && and ||.
const COMPARISON = 20
const LOGICAL = 10

/** A jexl instance whose operators compare as boolrule does, with Python truthiness. */
export function createConditionJexl(): Jexl {
  const instance = createJexl()
  const equal = (left: unknown, right: unknown): boolean => pyEq(...coerceOperands(left, right))
  const member = (left: unknown, right: unknown): boolean => pyIn(left, coerceMembers(left, right))
  instance.addBinaryOp('==', COMPARISON, equal)
  instance.addBinaryOp('!=', COMPARISON, (left, right) => !equal(left, right))
  for (const operator of ['<', '>', '<=', '>='] as const satisfies readonly Ordering[]) {
    instance.addBinaryOp(operator, COMPARISON, (left, right) =>
      pyCompare(operator, ...coerceOperands(left, right)),
    )
  }
  instance.addBinaryOp('in', COMPARISON, member)
  instance.addBinaryOp('notin', COMPARISON, (left, right) => !member(left, right))
  instance.addBinaryOp('issuperset', COMPARISON, pyIsSuperset)
  instance.addBinaryOp('notissuperset', COMPARISON, (left, right) => !pyIsSuperset(left, right))
  const addLazy = instance.addBinaryOp.bind(instance) as unknown as LazyBinaryOp
  addLazy(
    '&&',
    LOGICAL,
    (left, right) => left.eval().then((value) => (pyTruthy(value) ? right.eval() : value)),
    true,
  )
  addLazy(
    '||',
    LOGICAL,
    (left, right) => left.eval().then((value) => (pyTruthy(value) ? value : right.eval())),
    true,
  )
  instance.addUnaryOp('!', (value) => !pyTruthy(value))
  return instance
}
