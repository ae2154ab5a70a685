import { forbidden, isForbiddenName } from './sandbox.js'
import { isTransform } from './transforms.js'

// bamboo templates are Python expressions. The common spellings are translated to jexl
// before compiling: `x.upper()` → `x|upper`, `x.split(",")[0]` → `x|split(",")[0]`,
// `x[1:3]` → `x|slice(1, 3)`, `and`/`or`/`not`/`True`/`False`, `**` → `^`.

const IDENTIFIER_START = /[A-Za-z_$\u00C0-\uFFFF]/
const IDENTIFIER_PART = /[\w$\u00C0-\uFFFF]/
const METHOD = /\.\s*([A-Za-z_]\w*)\s*\(/y
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' }
const KEYWORDS: Record<string, string> = {
  and: '&&',
  or: '||',
  not: '!',
  True: 'true',
  False: 'false',
}

function stringEnd(source: string, start: number): number {
  const quote = source[start]
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++
    else if (source[i] === quote) return i + 1
  }
  return source.length
}

/** Index of the bracket closing the one at `open`, skipping strings; -1 when unbalanced. */
function closing(source: string, open: number): number {
  const expected: string[] = []
  for (let i = open; i < source.length; i++) {
    const char = source[i] as string
    if (char === '"' || char === "'") {
      i = stringEnd(source, i) - 1
    } else if (Object.hasOwn(OPENERS, char)) {
      expected.push(OPENERS[char] as string)
    } else if (char === ')' || char === ']' || char === '}') {
      if (expected.pop() !== char) return -1
      if (expected.length === 0) return i
    }
  }
  return -1
}

/** Offsets of `char` outside strings and brackets. */
function topLevel(source: string, char: string): number[] {
  const found: number[] = []
  for (let i = 0; i < source.length; i++) {
    const current = source[i] as string
    if (current === '"' || current === "'") {
      i = stringEnd(source, i) - 1
    } else if (Object.hasOwn(OPENERS, current)) {
      const end = closing(source, i)
      if (end < 0) return found
      i = end
    } else if (current === char) {
      found.push(i)
    }
  }
  return found
}

function lastSignificant(text: string): string {
  return text.trimEnd().at(-1) ?? ''
}

function sliceCall(inner: string): string | undefined {
  const colons = topLevel(inner, ':')
  if (colons.length !== 1 || topLevel(inner, '?').length > 0) return undefined
  const at = colons[0] as number
  const start = inner.slice(0, at).trim()
  const end = inner.slice(at + 1).trim()
  const from = start === '' ? '0' : fromPython(start)
  return end === '' ? `|slice(${from})` : `|slice(${from}, ${fromPython(end)})`
}

function methodCall(source: string, dot: number): { text: string; end: number } | undefined {
  METHOD.lastIndex = dot
  const match = METHOD.exec(source)
  const name = match?.[1]
  if (!match || name === undefined || !isTransform(name)) return undefined
  const open = dot + match[0].length - 1
  const close = closing(source, open)
  if (close < 0) return undefined
  const args = source.slice(open + 1, close).trim()
  return { text: args === '' ? `|${name}` : `|${name}(${fromPython(args)})`, end: close + 1 }
}

/** Translates the Python spellings of a template expression into jexl. */
export function fromPython(source: string): string {
  let out = ''
  let i = 0
  while (i < source.length) {
    const char = source[i] as string
    if (char === '"' || char === "'") {
      const end = stringEnd(source, i)
      out += source.slice(i, end)
      i = end
    } else if (char === '*' && source[i + 1] === '*') {
      out += '^'
      i += 2
    } else if (char === '.') {
      const method = methodCall(source, i)
      out += method ? method.text : char
      i = method ? method.end : i + 1
    } else if (char === '[' && /[\w$)\]]/.test(lastSignificant(out))) {
      const close = closing(source, i)
      const slice = close < 0 ? undefined : sliceCall(source.slice(i + 1, close))
      out += slice ?? char
      i = slice === undefined ? i + 1 : close + 1
    } else if (IDENTIFIER_START.test(char) && !IDENTIFIER_PART.test(source[i - 1] ?? ' ')) {
      let end = i + 1
      while (end < source.length && IDENTIFIER_PART.test(source[end] as string)) end++
      const word = source.slice(i, end)
      if (isForbiddenName(word)) throw forbidden(`'${word}'`)
      const keyword = lastSignificant(out) !== '.' && Object.hasOwn(KEYWORDS, word)
      out += keyword ? (KEYWORDS[word] as string) : word
      i = end
    } else {
      out += char
      i++
    }
  }
  return out
}
