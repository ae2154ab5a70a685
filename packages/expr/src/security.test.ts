import { afterEach, describe, expect, it } from 'vitest'
import {
  type ExprError,
  evaluateCondition,
  isExprError,
  render,
  resolveConstants,
} from './index.js'

const context = {
  x: 'text',
  obj: { a: 1 },
  list: ['a', 'b'],
  k: 'constructor',
  p: '__proto__',
  payload: '{"__proto__": {"polluted": "yes"}, "a": 1}',
}

const ESCAPES = [
  '${x.constructor.constructor("return process")()}',
  '${x.constructor.constructor("globalThis.pwned = 1")()}',
  '${x.constructor}',
  '${x["constructor"]}',
  '${x["cons" + "tructor"]}',
  '${x[k]}',
  '${obj[k]}',
  '${obj[p]}',
  '${x.__proto__}',
  '${obj.__proto__}',
  '${obj["__proto__"]}',
  "${''.constructor}",
  '${"".constructor}',
  '${obj.prototype}',
  '${obj.__defineGetter__}',
  '${obj.__lookupGetter__("a")}',
  '${obj.toString}',
  '${obj.hasOwnProperty}',
  '${obj.valueOf}',
  '${x.length.constructor}',
  '${list.map}',
  '${list[.constructor]}',
  '${list[.toString]}',
  '${list[.length > 0][0].constructor}',
  '${x|constructor}',
  '${x|toString}',
  '${constructor(x)}',
  '${__proto__}',
  '${process}',
  '${process.env}',
  '${globalThis}',
  '${this}',
  '${require}',
  '${Function}',
  '${eval}',
  '${x.upper.constructor}',
]

afterEach(() => {
  expect((globalThis as Record<string, unknown>).pwned).toBeUndefined()
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

describe('render cannot reach the host', () => {
  it.each(ESCAPES)('leaves %s unrendered', (attempt) => {
    expect(render(attempt, context)).toBe(attempt)
    expect(render(`before ${attempt} after`, context)).toBe(`before ${attempt} after`)
  })

  it('refuses forbidden names with FORBIDDEN_ACCESS', () => {
    const codes: string[] = []
    render(['${x.constructor}', '${x["constructor"]}', '${x[k]}', '${obj.__proto__}'], context, {
      onError: (error) => codes.push(error.code),
    })
    expect(codes).toEqual(Array(4).fill('FORBIDDEN_ACCESS'))
  })

  it('never returns a function', () => {
    for (const attempt of ESCAPES) {
      expect(typeof render(attempt, context)).not.toBe('function')
    }
  })
})

describe('evaluateCondition cannot reach the host', () => {
  it.each([
    '${x.constructor} == 1',
    '${x["constructor"]} == 1',
    '${x[k]} == 1',
    '${x.__proto__} == 1',
    '${x.constructor.constructor("return process")()} == 1',
    'x.constructor == 1',
    'x["constructor"] == 1',
    'x[k] == 1',
    'obj.__proto__ == 1',
    'x|constructor == 1',
    'constructor(x) == 1',
    'list[.constructor] == 1',
  ])('%s throws FORBIDDEN_ACCESS or CONDITION_EVAL', (condition) => {
    let thrown: unknown
    try {
      evaluateCondition(condition, context)
    } catch (error) {
      thrown = error
    }
    expect(isExprError(thrown, 'FORBIDDEN_ACCESS') || isExprError(thrown, 'CONDITION_EVAL')).toBe(
      true,
    )
  })

  it('compares unknown globals as their own text instead of resolving them', () => {
    expect(evaluateCondition('${process} == "${process}"', {})).toBe(true)
    expect(evaluateCondition('${globalThis} == "${globalThis}"', {})).toBe(true)
    expect(evaluateCondition('process == "process"', {})).toBe(true)
  })
})

describe('prototype pollution', () => {
  it('parse drops __proto__ keys', () => {
    const parsed = render('${payload|parse}', context) as Record<string, unknown>
    expect(parsed).toEqual({ a: 1 })
    expect(Object.hasOwn(parsed, '__proto__')).toBe(false)
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype)
  })

  it('render copies a __proto__ key as data', () => {
    const value = JSON.parse('{"__proto__": {"polluted": "${x}"}}')
    const rendered = render(value, context) as Record<string, unknown>
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(rendered, '__proto__')?.value).toEqual({
      polluted: 'text',
    })
  })

  it('resolveConstants keeps a __proto__ constant as data', () => {
    const constants = JSON.parse('{"__proto__": {"type": "plain", "value": {"polluted": "yes"}}}')
    const resolved = resolveConstants(constants)
    expect(Object.getPrototypeOf(resolved)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(resolved, '__proto__')?.value).toEqual({
      polluted: 'yes',
    })
  })

  it('a context holding a __proto__ key cannot be read through it', () => {
    const polluted = JSON.parse('{"__proto__": {"polluted": "yes"}}')
    const errors: ExprError[] = []
    expect(render('${__proto__}', polluted, { onError: (e) => errors.push(e) })).toBe(
      '${__proto__}',
    )
    expect(errors[0]?.code).toBe('FORBIDDEN_ACCESS')
  })
})
