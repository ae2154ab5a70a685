import { ExprError } from '../errors.js'
import { isPlainObject } from './objects.js'

// Python semantics for the values conditions and transforms handle: bool is an int,
// comparisons across types raise, str() prints True/False/None.

/** Python's type name of a value, for error messages. */
export function pyType(value: unknown): string {
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  if (typeof value === 'string') return 'str'
  if (value === null || value === undefined) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (isPlainObject(value)) return 'dict'
  return typeof value
}

function isNumeric(value: unknown): value is number | boolean {
  return typeof value === 'number' || typeof value === 'boolean'
}

function isNone(value: unknown): value is null | undefined {
  return value === null || value === undefined
}

/** `isinstance(value, int)`: booleans count, as in Python. */
export function isPyInt(value: unknown): value is number | boolean {
  return typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))
}

const INT_TEXT = /^\s*[+-]?\d+(?:_\d+)*\s*$/

/** Python's `int(value)`, or undefined where Python raises. */
export function toPyInt(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined
  if (typeof value === 'string' && INT_TEXT.test(value)) return Number(value.replaceAll('_', ''))
  return undefined
}

function pyNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf'
  if (Number.isInteger(value))
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString()
  const abs = Math.abs(value)
  if (abs >= 1e-4 && abs < 1e16) return String(value)
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string]
  const power = Number(exponent)
  return `${mantissa}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`
}

function pyRepr(value: unknown): string {
  if (typeof value !== 'string') return pyStr(value)
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'"
  const escaped = value
    .replaceAll('\\', '\\\\')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t')
    .replaceAll(quote, `\\${quote}`)
  return `${quote}${escaped}${quote}`
}

/** Python's `str(value)`. */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (isNone(value)) return 'None'
  if (typeof value === 'number') return pyNumber(value)
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (isPlainObject(value)) {
    const entries = Object.entries(value).map(([key, item]) => `${pyRepr(key)}: ${pyRepr(item)}`)
    return `{${entries.join(', ')}}`
  }
  return String(value)
}

/** How a value reads when substituted into a template's text. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (isNone(value)) return 'None'
  if (typeof value === 'number') return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Python's `a == b` on JSON values (1 == 1.0 == True). */
export function pyEq(left: unknown, right: unknown): boolean {
  if (isNumeric(left) && isNumeric(right)) return Number(left) === Number(right)
  if (typeof left === 'string' || typeof right === 'string') return left === right
  if (isNone(left) || isNone(right)) return isNone(left) && isNone(right)
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, i) => pyEq(item, right[i]))
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const keys = Object.keys(left)
    if (keys.length !== Object.keys(right).length) return false
    return keys.every((key) => Object.hasOwn(right, key) && pyEq(left[key], right[key]))
  }
  return left === right
}

function unsupported(operator: string, left: unknown, right: unknown): ExprError {
  return new ExprError(
    'CONDITION_EVAL',
    `'${operator}' not supported between instances of '${pyType(left)}' and '${pyType(right)}'`,
  )
}

function order(operator: string, left: unknown, right: unknown): number {
  if (isNumeric(left) && isNumeric(right)) {
    const [a, b] = [Number(left), Number(right)]
    return a < b ? -1 : a > b ? 1 : a === b ? 0 : Number.NaN
  }
  if (typeof left === 'string' && typeof right === 'string') {
    return left < right ? -1 : left > right ? 1 : 0
  }
  if (Array.isArray(left) && Array.isArray(right)) {
    const shared = Math.min(left.length, right.length)
    for (let i = 0; i < shared; i++) {
      if (!pyEq(left[i], right[i])) return order(operator, left[i], right[i])
    }
    return Math.sign(left.length - right.length)
  }
  throw unsupported(operator, left, right)
}

const ORDERINGS = {
  '<': (sign: number) => sign < 0,
  '>': (sign: number) => sign > 0,
  '<=': (sign: number) => sign <= 0,
  '>=': (sign: number) => sign >= 0,
} as const

/** The ordering comparison operators of Python. */
export type Ordering = keyof typeof ORDERINGS

/** Python's `a < b` (and friends): raises on values of unrelated types. */
export function pyCompare(operator: Ordering, left: unknown, right: unknown): boolean {
  return ORDERINGS[operator](order(operator, left, right))
}

/** boolrule's coercion before `==`, `<`...: int first, then str; a failed int() stops both. */
export function coerceOperands(left: unknown, right: unknown): [unknown, unknown] {
  let [l, r] = [left, right]
  if (isPyInt(l)) {
    const converted = toPyInt(r)
    if (converted === undefined) return [l, r]
    r = converted
  } else if (isPyInt(r)) {
    const converted = toPyInt(l)
    if (converted === undefined) return [l, r]
    l = converted
  }
  if (typeof l === 'string') r = pyStr(r)
  else if (typeof r === 'string') l = pyStr(l)
  return [l, r]
}

/** boolrule's coercion before `in`: a list also holds int()/str() copies of its items. */
export function coerceMembers(needle: unknown, haystack: unknown): unknown {
  if (!Array.isArray(haystack) || haystack.length === 0) return haystack
  if (isPyInt(needle)) {
    const ints = haystack.map(toPyInt).filter((item) => item !== undefined)
    return [...haystack, ...ints]
  }
  if (typeof needle === 'string') return [...haystack, ...haystack.map(pyStr)]
  return haystack
}

/** Python's `needle in haystack`. */
export function pyIn(needle: unknown, haystack: unknown): boolean {
  if (Array.isArray(haystack)) return haystack.some((item) => pyEq(item, needle))
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') {
      throw new ExprError(
        'CONDITION_EVAL',
        `'in <string>' requires string as left operand, not ${pyType(needle)}`,
      )
    }
    return haystack.includes(needle)
  }
  if (isPlainObject(haystack)) return Object.keys(haystack).some((key) => pyEq(key, needle))
  throw new ExprError('CONDITION_EVAL', `argument of type '${pyType(haystack)}' is not iterable`)
}

function pySet(value: unknown): unknown[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) {
    const unhashable = value.find((item) => Array.isArray(item) || isPlainObject(item))
    if (unhashable !== undefined) {
      throw new ExprError('CONDITION_EVAL', `unhashable type: '${pyType(unhashable)}'`)
    }
    return value
  }
  if (isPlainObject(value)) return Object.keys(value)
  throw new ExprError('CONDITION_EVAL', `'${pyType(value)}' object is not iterable`)
}

/** `set(left).issuperset(set(right))`, a lone string counting as a one-item set. */
export function pyIsSuperset(left: unknown, right: unknown): boolean {
  const [outer, inner] = [pySet(left), pySet(right)]
  return inner.every((item) => outer.some((candidate) => pyEq(candidate, item)))
}

/** Python truthiness: 0, '', [], {}, None and False are false. */
export function pyTruthy(value: unknown): boolean {
  if (isNone(value) || value === false || value === 0 || value === '') return false
  if (Array.isArray(value)) return value.length > 0
  if (isPlainObject(value)) return Object.keys(value).length > 0
  return true
}

const REAL_TEXT = /^[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const INT_LITERAL = /^[+-]?\d+(?:[eE]\+?\d+)?$/

/** What boolrule reads in a text: a number, true/false (any case), or the text itself. */
export function pythonLiteral(text: string): unknown {
  const trimmed = text.trim()
  if (REAL_TEXT.test(trimmed) || INT_LITERAL.test(trimmed)) return Number(trimmed)
  const lower = trimmed.toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  return text
}
