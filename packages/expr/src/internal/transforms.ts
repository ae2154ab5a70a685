import { ExprError } from '../errors.js'
import { assertProduct, EXPR_LIMITS, spendWork, workOf } from '../limits.js'
import { isPlainObject } from './objects.js'
import { pyCompare, pyEq, pyTruthy, pyType, textOf, toPyInt } from './python-values.js'

type Transform = (value: unknown, ...args: unknown[]) => unknown

function fail(message: string): never {
  throw new ExprError('CONDITION_EVAL', message)
}

function needString(value: unknown, name: string): string {
  if (typeof value !== 'string') fail(`${name}() needs a string, not ${pyType(value)}`)
  return value
}

function needNumber(value: unknown, name: string): number {
  if (typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  return fail(`${name}() needs a number, not ${pyType(value)}`)
}

function optional(value: unknown): unknown {
  return value === null ? undefined : value
}

function needInt(value: unknown, name: string): number {
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))) {
    return Number(value)
  }
  return fail(`${name}() needs an integer, not ${pyType(value)}`)
}

function splitWhitespace(text: string, limit: number): string[] {
  const parts: string[] = []
  let rest = text.trimStart()
  while (rest !== '') {
    if (limit >= 0 && parts.length === limit) {
      parts.push(rest)
      break
    }
    const gap = /\s+/.exec(rest)
    if (!gap) {
      parts.push(rest)
      break
    }
    parts.push(rest.slice(0, gap.index))
    rest = rest.slice(gap.index + gap[0].length)
  }
  return parts
}

function split(value: unknown, separator?: unknown, maxsplit?: unknown): string[] {
  const text = needString(value, 'split')
  const limit = optional(maxsplit) === undefined ? -1 : needInt(maxsplit, 'split')
  if (optional(separator) === undefined) return splitWhitespace(text, limit)
  const sep = needString(separator, 'split')
  if (sep === '') fail('split() got an empty separator')
  const pieces = occurrences(text, sep, EXPR_LIMITS.maxListLength) + 1
  assertProduct('split', limit < 0 ? pieces : Math.min(pieces, limit + 1), 'list')
  if (limit < 0) return text.split(sep)
  const parts: string[] = []
  let rest = text
  while (parts.length < limit) {
    const at = rest.indexOf(sep)
    if (at < 0) break
    parts.push(rest.slice(0, at))
    rest = rest.slice(at + sep.length)
  }
  parts.push(rest)
  return parts
}

function join(value: unknown, separator?: unknown): string {
  // Python spells it `",".join(items)`, which the method rewrite turns into `","|join(items)`.
  if (typeof value === 'string' && Array.isArray(separator)) {
    return joined(separator.map(textOf), value)
  }
  if (!Array.isArray(value)) fail(`join() needs a list, not ${pyType(value)}`)
  const sep = optional(separator) === undefined ? ',' : needString(separator, 'join')
  return joined(value.map(textOf), sep)
}

/** Joins texts once the result is known to be within the string limit. */
function joined(texts: string[], sep: string): string {
  let size = Math.max(0, texts.length - 1) * sep.length
  for (const text of texts) size += text.length
  assertProduct('join', size, 'string')
  return texts.join(sep)
}

/** How many times `part` occurs in `text` (not overlapping), counting no further than `stop`. */
function occurrences(text: string, part: string, stop: number): number {
  if (part === '') return text.length + 1
  let count = 0
  for (
    let at = text.indexOf(part);
    at >= 0 && count <= stop;
    at = text.indexOf(part, at + part.length)
  )
    count++
  return count
}

function strip(left: boolean, right: boolean, name: string): Transform {
  return (value, chars) => {
    const text = needString(value, name)
    const set = optional(chars) === undefined ? undefined : needString(chars, name)
    const stripped = (char: string | undefined): boolean =>
      char !== undefined && (set === undefined ? /\s/.test(char) : set.includes(char))
    let [start, end] = [0, text.length]
    if (left) while (start < end && stripped(text[start])) start++
    if (right) while (end > start && stripped(text[end - 1])) end--
    return text.slice(start, end)
  }
}

function replace(value: unknown, old: unknown, replacement: unknown, count?: unknown): string {
  const text = needString(value, 'replace')
  const [from, to] = [needString(old, 'replace'), needString(replacement, 'replace')]
  let remaining = optional(count) === undefined ? -1 : needInt(count, 'replace')
  // The size of the result, known before it is made: a chain of replaces cannot grow a string
  // past the limit, whatever the heap would allow.
  const growth = to.length - from.length
  if (growth > 0) {
    const stop = Math.ceil((EXPR_LIMITS.maxStringLength - text.length) / growth) + 1
    const found = occurrences(text, from, stop)
    const replaced = remaining < 0 ? found : Math.min(found, remaining)
    assertProduct('replace', text.length + replaced * growth, 'string')
  }
  if (remaining < 0) return text.replaceAll(from, () => to)
  return text.replaceAll(from, (match) => {
    if (remaining === 0) return match
    remaining--
    return to
  })
}

function codePoints(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}

function len(value: unknown): number {
  if (typeof value === 'string') return codePoints(value)
  if (Array.isArray(value)) return value.length
  if (isPlainObject(value)) return Object.keys(value).length
  return fail(`object of type '${pyType(value)}' has no len()`)
}

function count(value: unknown, item?: unknown): number {
  if (item === undefined) return len(value)
  if (Array.isArray(value)) return value.filter((entry) => pyEq(entry, item)).length
  const text = needString(value, 'count')
  const needle = needString(item, 'count')
  if (needle === '') return codePoints(text) + 1
  let found = 0
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
    found++
  }
  return found
}

function toInt(value: unknown): number {
  const converted = toPyInt(value)
  if (converted === undefined) fail(`invalid literal for int(): ${textOf(value)}`)
  return converted
}

const FLOAT_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

function toFloat(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  const text = needString(value, 'float').trim()
  if (FLOAT_TEXT.test(text)) return Number(text)
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text)
  if (!special) fail(`could not convert string to float: '${text}'`)
  if ((special[2] as string).toLowerCase() === 'nan') return Number.NaN
  return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
}

function affix(name: string, test: (text: string, part: string) => boolean): Transform {
  return (value, part) => {
    const text = needString(value, name)
    const parts = Array.isArray(part) ? part : [part]
    return parts.some((candidate) => test(text, needString(candidate, name)))
  }
}

function keys(value: unknown): string[] {
  if (!isPlainObject(value)) fail(`keys() needs a dict, not ${pyType(value)}`)
  return Object.keys(value)
}

function values(value: unknown): unknown[] {
  if (!isPlainObject(value)) fail(`values() needs a dict, not ${pyType(value)}`)
  return Object.values(value)
}

function json(value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) fail(`json() cannot encode ${pyType(value)}`)
  return text
}

function parse(value: unknown): unknown {
  // A `__proto__` key must never reach an object that someone later spreads or assigns.
  return JSON.parse(needString(value, 'parse'), (key, item) =>
    key === '__proto__' ? undefined : item,
  )
}

function roundHalfEven(value: number): number {
  return Math.abs(value % 1) === 0.5 ? 2 * Math.round(value / 2) : Math.round(value)
}

// Python rounds the exact binary value half to even: round(2.675, 2) is 2.67, round(0.125, 2) 0.12.
function roundDigits(value: number, digits: number): number {
  if (!Number.isFinite(value) || digits > 100) return value
  if (digits < 0) {
    const scale = 10 ** -digits
    return roundHalfEven(value / scale) * scale
  }
  const expansion = Math.abs(value).toFixed(Math.min(100, digits + 25))
  const [whole = '', fraction = ''] = expansion.split('.')
  const rest = fraction.slice(digits)
  if (!/^50*$/.test(rest)) return Number(value.toFixed(digits))
  const kept = `${whole}${fraction.slice(0, digits)}`
  const even = Number(kept.at(-1)) % 2 === 0
  const magnitude = Number(
    even ? `${whole}.${fraction.slice(0, digits)}` : Math.abs(value).toFixed(digits),
  )
  return value < 0 ? -magnitude : magnitude
}

function round(value: unknown, ndigits?: unknown): number {
  const number = needNumber(value, 'round')
  if (optional(ndigits) === undefined) return roundHalfEven(number)
  return roundDigits(number, needInt(ndigits, 'round'))
}

function extreme(name: string, wanted: '<' | '>'): Transform {
  return (value, ...rest) => {
    let items: unknown[]
    if (rest.length > 0) items = [value, ...rest]
    else if (Array.isArray(value)) items = value
    else if (typeof value === 'string') items = [...value]
    else return fail(`${name}() needs a list, not ${pyType(value)}`)
    if (items.length === 0) fail(`${name}() arg is an empty sequence`)
    return items.reduce((best, item) => (pyCompare(wanted, item, best) ? item : best))
  }
}

function sum(value: unknown, start?: unknown): number {
  if (!Array.isArray(value)) fail(`sum() needs a list, not ${pyType(value)}`)
  const first = optional(start) === undefined ? 0 : needNumber(start, 'sum')
  return value.reduce<number>((total, item) => total + needNumber(item, 'sum'), first)
}

function slice(value: unknown, start?: unknown, end?: unknown): unknown {
  if (typeof value !== 'string' && !Array.isArray(value)) {
    fail(`slice() needs a string or a list, not ${pyType(value)}`)
  }
  const from = optional(start) === undefined ? undefined : needInt(start, 'slice')
  const to = optional(end) === undefined ? undefined : needInt(end, 'slice')
  return value.slice(from, to)
}

const OPERATIONS: Record<string, Transform> = {
  split,
  join,
  upper: (value) => needString(value, 'upper').toUpperCase(),
  lower: (value) => needString(value, 'lower').toLowerCase(),
  strip: strip(true, true, 'strip'),
  lstrip: strip(true, false, 'lstrip'),
  rstrip: strip(false, true, 'rstrip'),
  replace,
  len,
  count,
  int: toInt,
  float: toFloat,
  str: textOf,
  bool: pyTruthy,
  startswith: affix('startswith', (text, part) => text.startsWith(part)),
  endswith: affix('endswith', (text, part) => text.endsWith(part)),
  keys,
  values,
  json,
  parse,
  abs: (value) => Math.abs(needNumber(value, 'abs')),
  round,
  min: extreme('min', '<'),
  max: extreme('max', '>'),
  sum,
  slice,
}

function guarded(name: string, operation: Transform): Transform {
  return (...args) => {
    if (args.some((arg) => typeof arg === 'function')) {
      throw new ExprError('FORBIDDEN_ACCESS', `${name}() was given a function`)
    }
    const [value, ...rest] = args
    spendWork(workOf(value))
    const result = operation(value, ...rest)
    if (typeof result === 'string') assertProduct(name, result.length, 'string')
    else if (Array.isArray(result)) assertProduct(name, result.length, 'list')
    spendWork(workOf(result))
    return result
  }
}

/** The transforms (`x|upper`), also callable as functions (`upper(x)`). */
export const TRANSFORMS: Readonly<Record<string, Transform>> = Object.freeze(
  Object.fromEntries(
    Object.entries(OPERATIONS).map(([name, operation]) => [name, guarded(name, operation)]),
  ),
)

/** True when `name` is a registered transform or function. */
export function isTransform(name: string): boolean {
  return Object.hasOwn(TRANSFORMS, name)
}
