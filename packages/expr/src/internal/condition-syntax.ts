import { ExprError } from '../errors.js'
import { FRAGMENT_SOURCE, referenceExpression } from '../template.js'
import { evaluateFragment, type FragmentFailure, substitute } from './fragments.js'
import { assertNever } from './objects.js'
import { pythonLiteral } from './python-values.js'
import { forbidden, isForbiddenName } from './sandbox.js'
import { isTransform } from './transforms.js'

// A condition is written for boolrule (`${a} == 1 and b in ("x", "y")`) or in jexl
// (`${a} == 1 && b|upper == "X"`). It is lexed here and rewritten into jexl in which
// every literal and every `${...}` value is a placeholder (`$0`, `$1`...), so that the
// compiled expression depends on the condition's shape only, never on the values.

/** A piece of a condition: a quoted string, a word (which may hold fragments) or punctuation. */
export type Lexeme =
  | { kind: 'string'; text: string }
  | { kind: 'word'; text: string }
  | { kind: 'punct'; text: string }

/** A condition rewritten into jexl: the source and the values of its placeholders. */
export interface Translation {
  source: string
  values: unknown[]
}

const PUNCTUATION = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '//',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ',',
  '|',
  '?',
  ':',
  '=',
]
const WORD_CHARACTER = /^[\p{L}\p{N}_$.]$/u
const FRAGMENT_AT = new RegExp(FRAGMENT_SOURCE, 'y')
const HAS_FRAGMENT = new RegExp(FRAGMENT_SOURCE)
const NUMBER = /^(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/
const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>='])
const WORD_OPERATORS = new Set(['in', 'notin', 'issuperset', 'notissuperset'])
const KEYWORDS: Record<string, string> = {
  and: '&&',
  or: '||',
  not: '!',
  in: 'in',
  notin: 'notin',
  issuperset: 'issuperset',
  notissuperset: 'notissuperset',
  true: 'true',
  false: 'false',
}

function syntaxError(reason: string): ExprError {
  return new ExprError('CONDITION_SYNTAX', reason)
}

function readString(condition: string, start: number): { text: string; end: number } {
  const quote = condition[start]
  let text = ''
  for (let i = start + 1; i < condition.length; i++) {
    const char = condition[i] as string
    const next = condition[i + 1]
    // boolrule has no escapes; only `\"` and `\\` are read as jexl reads them.
    if (char === '\\' && (next === quote || next === '\\')) {
      text += next
      i++
    } else if (char === quote) {
      return { text, end: i + 1 }
    } else {
      text += char
    }
  }
  throw syntaxError(`unterminated string starting at offset ${start}`)
}

function readWord(condition: string, start: number): { text: string; end: number } {
  let i = start
  while (i < condition.length) {
    if (condition.startsWith('${', i)) {
      FRAGMENT_AT.lastIndex = i
      const fragment = FRAGMENT_AT.exec(condition)
      if (fragment) {
        i += fragment[0].length
        continue
      }
    }
    const char = String.fromCodePoint(condition.codePointAt(i) as number)
    if (!WORD_CHARACTER.test(char)) break
    i += char.length
  }
  return { text: condition.slice(start, i), end: i }
}

/** Splits a condition into lexemes. */
export function lex(condition: string): Lexeme[] {
  const lexemes: Lexeme[] = []
  let i = 0
  while (i < condition.length) {
    const char = String.fromCodePoint(condition.codePointAt(i) as number)
    if (/\s/.test(char)) {
      i += char.length
    } else if (char === '"' || char === "'") {
      const { text, end } = readString(condition, i)
      lexemes.push({ kind: 'string', text })
      i = end
    } else if (WORD_CHARACTER.test(char) || condition.startsWith('${', i)) {
      const { text, end } = readWord(condition, i)
      if (end === i) throw syntaxError(`unexpected '${char}' at offset ${i}`)
      lexemes.push({ kind: 'word', text })
      i = end
    } else {
      const punct = PUNCTUATION.find((candidate) => condition.startsWith(candidate, i))
      if (punct === undefined) throw syntaxError(`unexpected '${char}' at offset ${i}`)
      lexemes.push({ kind: 'punct', text: punct })
      i += punct.length
    }
  }
  return lexemes
}

type WordKind =
  | 'fragment'
  | 'number'
  | 'property'
  | 'keyword'
  | 'transform'
  | 'function'
  | 'call'
  | 'key'
  | 'identifier'
  | 'text'

function isPunct(lexeme: Lexeme | undefined, ...texts: string[]): boolean {
  return lexeme?.kind === 'punct' && texts.includes(lexeme.text)
}

function keywordOf(lexeme: Lexeme | undefined): string | undefined {
  if (lexeme?.kind !== 'word') return undefined
  const lower = lexeme.text.toLowerCase()
  return Object.hasOwn(KEYWORDS, lower) ? lower : undefined
}

function isComparison(lexeme: Lexeme | undefined): boolean {
  if (lexeme?.kind === 'punct') return COMPARISONS.has(lexeme.text)
  return WORD_OPERATORS.has(keywordOf(lexeme) ?? '')
}

function checkPath(path: string): void {
  for (const segment of path.split('.')) {
    if (isForbiddenName(segment)) throw forbidden(`'${segment}'`)
  }
}

/** Rewrites lexed conditions into jexl against one context. */
export class ConditionTranslator {
  readonly #lexemes: readonly Lexeme[]
  readonly #context: Record<string, unknown>
  readonly #onFailure: FragmentFailure
  readonly #values: unknown[] = []

  constructor(lexemes: readonly Lexeme[], context: Record<string, unknown>) {
    this.#lexemes = lexemes
    this.#context = context
    // An unrendered fragment compares as its own text, unless it tried to escape the sandbox.
    this.#onFailure = (error) => {
      if (error.code === 'FORBIDDEN_ACCESS') throw error
    }
  }

  translate(): Translation {
    const lexemes = this.#lexemes
    const kinds = lexemes.map((lexeme, i) => (lexeme.kind === 'word' ? this.#kind(i) : undefined))
    const lists = this.#listParens(kinds)
    const out: string[] = []
    for (let i = 0; i < lexemes.length; i++) {
      const lexeme = lexemes[i] as Lexeme
      if (lexeme.kind === 'string') {
        out.push(this.#placeholder(substitute(lexeme.text, this.#context, this.#onFailure)))
      } else if (lexeme.kind === 'word') {
        const kind = kinds[i] as WordKind
        if (
          kind === 'keyword' &&
          keywordOf(lexeme) === 'not' &&
          keywordOf(lexemes[i + 1]) === 'in'
        ) {
          out.push('notin')
          i++
        } else {
          out.push(this.#word(lexeme.text, kind))
        }
      } else if (this.#isSign(i)) {
        const number = Number((lexemes[i + 1] as Lexeme).text)
        out.push(this.#placeholder(lexeme.text === '-' ? -number : number))
        i++
      } else if (lists.has(i)) {
        out.push(lexeme.text === '(' ? '[' : ']')
      } else {
        out.push(lexeme.text)
      }
    }
    return { source: out.join(' '), values: this.#values }
  }

  #placeholder(value: unknown): string {
    this.#values.push(value)
    return `$${this.#values.length - 1}`
  }

  #kind(i: number): WordKind {
    const lexemes = this.#lexemes
    const text = (lexemes[i] as Lexeme).text
    const [previous, next] = [lexemes[i - 1], lexemes[i + 1]]
    if (HAS_FRAGMENT.test(text)) return 'fragment'
    if (NUMBER.test(text)) return 'number'
    if (text.startsWith('.')) return 'property'
    if (keywordOf(lexemes[i]) !== undefined) return 'keyword'
    if (isPunct(previous, '|')) return 'transform'
    if (isPunct(next, '(')) return isTransform(text) ? 'function' : 'call'
    if (isPunct(next, ':') && isPunct(previous, '{', ',')) return 'key'
    const root = text.split('.')[0] as string
    if (root !== '' && !root.startsWith('$') && Object.hasOwn(this.#context, root)) {
      return 'identifier'
    }
    return 'text'
  }

  #word(text: string, kind: WordKind): string {
    switch (kind) {
      case 'fragment':
        return this.#placeholder(this.#fragmentValue(text))
      case 'number':
        return this.#placeholder(Number(text))
      case 'keyword':
        return KEYWORDS[text.toLowerCase()] as string
      case 'text':
        return this.#placeholder(text)
      case 'call':
        checkPath(text)
        throw syntaxError(`unknown function '${text}'`)
      case 'property':
      case 'transform':
      case 'function':
      case 'key':
      case 'identifier':
        checkPath(text)
        return text
      default:
        return assertNever(kind)
    }
  }

  // `${x}` outside quotes is read as boolrule read the rendered text: "11" is the number 11.
  #fragmentValue(word: string): unknown {
    const expression = referenceExpression(word)
    if (expression === undefined) {
      return pythonLiteral(substitute(word, this.#context, this.#onFailure))
    }
    const outcome = evaluateFragment(expression, this.#context)
    if (!outcome.ok) {
      this.#onFailure(outcome.error)
      return word
    }
    return typeof outcome.value === 'string' ? pythonLiteral(outcome.value) : outcome.value
  }

  // A `-` or `+` where an operand is expected is the sign of the number after it.
  #isSign(i: number): boolean {
    const lexemes = this.#lexemes
    const [lexeme, previous, next] = [lexemes[i], lexemes[i - 1], lexemes[i + 1]]
    if (!isPunct(lexeme, '-', '+') || next?.kind !== 'word' || !NUMBER.test(next.text)) return false
    if (previous === undefined) return true
    if (previous.kind === 'punct') return !isPunct(previous, ')', ']', '}')
    const keyword = keywordOf(previous)
    return keyword !== undefined && keyword !== 'true' && keyword !== 'false'
  }

  // boolrule's `(a, b)` is a list; so is `(a)` beside a comparison. Other parentheses group.
  #listParens(kinds: readonly (WordKind | undefined)[]): Set<number> {
    const lexemes = this.#lexemes
    const lists = new Set<number>()
    const opened: number[] = []
    for (let i = 0; i < lexemes.length; i++) {
      if (isPunct(lexemes[i], '(')) {
        opened.push(i)
        continue
      }
      if (!isPunct(lexemes[i], ')')) continue
      const open = opened.pop()
      if (open === undefined) continue
      const callee = kinds[open - 1]
      if (callee === 'function' || callee === 'transform') continue
      if (this.#isList(open, i)) {
        lists.add(open)
        lists.add(i)
      }
    }
    return lists
  }

  #isList(open: number, close: number): boolean {
    const lexemes = this.#lexemes
    let depth = 0
    for (let i = open + 1; i < close; i++) {
      if (isPunct(lexemes[i], '(', '[', '{')) depth++
      else if (isPunct(lexemes[i], ')', ']', '}')) depth--
      else if (depth === 0 && isPunct(lexemes[i], ',')) return true
    }
    const inner = lexemes.slice(open + 1, close)
    const single =
      (inner.length === 1 && inner[0]?.kind !== 'punct' && keywordOf(inner[0]) === undefined) ||
      (inner.length === 2 && this.#isSign(open + 1))
    return single && (isComparison(lexemes[open - 1]) || isComparison(lexemes[close + 1]))
  }
}
