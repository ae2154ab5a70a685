import { describe, expect, it } from 'vitest'
import { type ExprErrorCode, evaluateCondition, isExprError } from './index.js'

type Row = [condition: string, context: Record<string, unknown>, expected: boolean]

// What the Python engine answers: it renders `${...}` as text, then boolrule parses and
// evaluates the result (bare words compare as their own text, "11" unquoted is the int 11).
const PYTHON_ANSWERS: Row[] = [
  ['${bk_timing} <= 10', { bk_timing: '1' }, true],
  ['${bk_timing} <= 10', { bk_timing: '11' }, false],
  ['${bk_timing} <= 10', { bk_timing: 10 }, true],
  ['${a} > ${b}', { a: '9', b: '10' }, false],
  ['${a} == ${b}', { a: '1', b: 1 }, true],
  ['${a} == ${b}', { a: 'x', b: 'x' }, true],
  ['"a" in ("a", "b")', {}, true],
  ['"c" in ("a", "b")', {}, false],
  ['1 in ("1", 2)', {}, true],
  ['"2" in (1, 2)', {}, true],
  ['3 notin (1, 2)', {}, true],
  ['"1" notin (1, 2)', {}, false],
  ['"a" in "abc"', {}, true],
  ['(1,2,3) issuperset (1,2)', {}, true],
  ['(1,2) issuperset (1,2,3)', {}, false],
  ['(1,2) notissuperset (1,2,3)', {}, true],
  ['"a" issuperset "a"', {}, true],
  ['("a", "b") issuperset "a"', {}, true],
  ['abc == abc', {}, true],
  ['abc == abd', {}, false],
  ['${undefined} == "${undefined}"', {}, true],
  ['*', {}, true],
  ['${flag} == True', { flag: true }, true],
  ['${flag} == True', { flag: false }, false],
  ['${flag} == true', { flag: 'true' }, true],
  ['true == True', {}, true],
  ['FALSE == false', {}, true],
  ['${name} == alice', { name: 'alice' }, true],
  ['${name} == "alice"', { name: 'alice' }, true],
  ['"${name}" == "alice"', { name: 'alice' }, true],
  ['\'single\' == "single"', {}, true],
  ['1 == 1 and 2 == 2', {}, true],
  ['1 == 1 AND 2 == 3', {}, false],
  ['1 == 2 Or 2 == 2', {}, true],
  ['1 == 2 or 2 == 3', {}, false],
  ['(1 == 2 or 2 == 2) and 3 == 3', {}, true],
  ['1 == 1.0', {}, true],
  ['1 == 1.5', {}, true],
  ['"1" == 1', {}, true],
  ['"abc" == 1', {}, false],
  ['"abc" != 1', {}, true],
  ['2 >= "2"', {}, true],
  ['"10" > "9"', {}, false],
  ['10 > "9"', {}, true],
  ['1.5 < "2"', {}, true],
  ['"10.5" > 9.5', {}, false],
  ['-1 < 0', {}, true],
  ['${x} > -1', { x: 0 }, true],
  ['${x} == 1', { x: true }, true],
  ['${x} == None', { x: null }, true],
  ['${count} != 0', { count: '0' }, false],
  ['${count} > 0 and ${count} < 100', { count: '50' }, true],
  ['${env} in ("prod", "pre")', { env: 'prod' }, true],
  ['${env} in ("prod", "pre")', { env: 'test' }, false],
  ['${n} in (1, 2)', { n: '2' }, true],
  ['${n} in (2)', { n: 2 }, true],
]

describe('evaluateCondition gives the Python engine answers', () => {
  it.each(PYTHON_ANSWERS)('%s with %j is %s', (condition, context, expected) => {
    expect(evaluateCondition(condition, context)).toBe(expected)
  })
})

describe('evaluateCondition beyond boolrule', () => {
  it('binds `and` tighter than `or`, unlike Python which reads left to right', () => {
    // Python stops at the first false `and`: it answers false here.
    expect(evaluateCondition('1 == 2 and 2 == 2 or 3 == 3', {})).toBe(true)
  })

  it.each<Row>([
    ['True', {}, true],
    ['False', {}, false],
    ['1 == 1 and 2 == 3 or True', {}, true],
    ['${x}', { x: 'abc' }, true],
    ['${x}', { x: '' }, false],
    ['${x}', { x: [] }, false],
    ['${x}', { x: {} }, false],
    ['${x}', { x: 0 }, false],
    ['${a} == "x" && ${b} > 1', { a: 'x', b: 2 }, true],
    ['${a} == "y" || ${b} > 1', { a: 'x', b: 2 }, true],
    ['!${flag}', { flag: false }, true],
    ['!(1 == 2)', {}, true],
    ['${x} in [1,2]', { x: 2 }, true],
    ['${x} not in (1, 2)', { x: 3 }, true],
    ['${x|upper} == "A"', { x: 'a' }, true],
    ['${x}|upper == "A"', { x: 'a' }, true],
    ['len(${items}) == 2', { items: [1, 2] }, true],
    ['${items|count} > 1', { items: [1, 2] }, true],
    ['${items} issuperset (1, 2)', { items: [1, 2, 3] }, true],
    ['${n} + 1 == 3', { n: 2 }, true],
    ['${x} == 1 ? true : false', { x: 1 }, true],
    ['${user.name} == "ada"', { user: { name: 'ada' } }, true],
    ['${list[0]} == 1', { list: [1] }, true],
  ])('%s with %j is %s', (condition, context, expected) => {
    expect(evaluateCondition(condition, context)).toBe(expected)
  })

  it('reads a bare name from the context when it is there, else as its own text', () => {
    expect(evaluateCondition('a.b == 1', { a: { b: 1 } })).toBe(true)
    expect(evaluateCondition('a.b == 1', {})).toBe(false)
    expect(evaluateCondition('a.b == "a.b"', {})).toBe(true)
    expect(evaluateCondition('status == success', { status: 'success' })).toBe(true)
  })

  it('compares a fragment that fails to render as its own text', () => {
    expect(evaluateCondition('${x|int} == "${x|int}"', { x: 'abc' })).toBe(true)
    expect(evaluateCondition('${x.nope} == 1', { x: {} })).toBe(false)
  })

  it('accepts context keys written as ${key}', () => {
    expect(evaluateCondition('${a} == 1', { '${a}': 1 })).toBe(true)
  })

  it('compares unicode words as text', () => {
    expect(evaluateCondition('${status} == 成功', { status: '成功' })).toBe(true)
  })

  it('evaluates the same condition against different contexts', () => {
    const condition = '${x} > 5'
    expect([1, 6, 3, 9].map((x) => evaluateCondition(condition, { x }))).toEqual([
      false,
      true,
      false,
      true,
    ])
  })
})

describe('evaluateCondition errors', () => {
  const failing: [string, Record<string, unknown>, ExprErrorCode][] = [
    ['1 < "a"', {}, 'CONDITION_EVAL'],
    ['${missing} > 1', {}, 'CONDITION_EVAL'],
    ['1 in 2', {}, 'CONDITION_EVAL'],
    ['1 in "123"', {}, 'CONDITION_EVAL'],
    ['(1, (2, 3)) issuperset (1,)', {}, 'CONDITION_EVAL'],
    ['${x} issuperset (1, 2)', { x: [[1], 2] }, 'CONDITION_EVAL'],
    ['a ==', {}, 'CONDITION_SYNTAX'],
    ['== 1', {}, 'CONDITION_SYNTAX'],
    ['"unterminated == 1', {}, 'CONDITION_SYNTAX'],
    ['', {}, 'CONDITION_SYNTAX'],
    ['   ', {}, 'CONDITION_SYNTAX'],
    ['a # b', {}, 'CONDITION_SYNTAX'],
    ['x|nosuch == 1', {}, 'CONDITION_SYNTAX'],
    ['nosuch(1) == 1', {}, 'CONDITION_SYNTAX'],
  ]

  it.each(failing)('%s throws %s', (condition, context, code) => {
    let thrown: unknown
    try {
      evaluateCondition(condition, context)
    } catch (error) {
      thrown = error
    }
    expect(isExprError(thrown, code)).toBe(true)
  })

  it('names the expression and the reason', () => {
    expect(() => evaluateCondition('1 < "a"', {})).toThrow(
      `condition "1 < "a"" could not be evaluated: '<' not supported between instances of 'int' and 'str'`,
    )
    try {
      evaluateCondition('a ==', {})
    } catch (error) {
      expect(isExprError(error) && error.expression).toBe('a ==')
      expect((error as Error).message).toMatch(/^condition "a ==" has a syntax error: /)
    }
  })
})
