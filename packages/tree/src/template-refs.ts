/** A `${...}` fragment of a template; its expression is group 1. */
export const FRAGMENT = /\$\{([^$#{}]+)\}/g
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y
const KEYWORDS = new Set([
  'true',
  'false',
  'True',
  'False',
  'None',
  'null',
  'undefined',
  'and',
  'or',
  'not',
  'in',
  'notin',
  'is',
  'if',
  'else',
  'for',
  'lambda',
  'issuperset',
  'notissuperset',
])

/**
 * The root names a `${...}` template refers to, found without evaluating it: identifiers outside
 * string literals that are not property names (`.x`), transforms (`|x`), called functions (`x(`),
 * keywords or comprehension variables. `@culm/expr` evaluates templates; this scan only lets the
 * validator find references to constants that do not exist.
 */
export function templateReferences(text: string): string[] {
  const names: string[] = []
  for (const match of text.matchAll(FRAGMENT)) {
    for (const name of fragmentNames(match[1]!)) if (!names.includes(name)) names.push(name)
  }
  return names
}

/** Every `${...}` reference found in the strings of a JSON value (object values, array items). */
export function valueReferences(value: unknown, into: string[] = []): string[] {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const current = stack.pop()
    if (typeof current === 'string') {
      if (current.includes('${')) {
        for (const name of templateReferences(current)) if (!into.includes(name)) into.push(name)
      }
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push(current[i])
    } else if (current !== null && typeof current === 'object') {
      const values = Object.values(current)
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i])
    }
  }
  return into
}

function fragmentNames(source: string): string[] {
  const found: string[] = []
  const bound = new Set<string>()
  let i = 0
  let previous = ''
  while (i < source.length) {
    const char = source[i]!
    if (char === '"' || char === "'") {
      i = skipString(source, i)
      previous = 'literal'
      continue
    }
    if (/\s/.test(char)) {
      i++
      continue
    }
    IDENTIFIER.lastIndex = i
    const ident = IDENTIFIER.exec(source)
    if (ident && !/[0-9]/.test(source[i - 1] ?? '')) {
      const name = ident[0]
      i += name.length
      let j = i
      while (j < source.length && /\s/.test(source[j]!)) j++
      const called = source[j] === '('
      if (previous === 'for') bound.add(name)
      else if (previous !== '.' && previous !== '|' && !called && !KEYWORDS.has(name)) {
        found.push(name)
      }
      previous = name === 'for' ? 'for' : 'name'
      continue
    }
    previous = char
    i++
  }
  return found.filter((name) => !bound.has(name))
}

function skipString(source: string, start: number): number {
  const quote = source[start]
  let i = start + 1
  while (i < source.length && source[i] !== quote) i += source[i] === '\\' ? 2 : 1
  return i + 1
}
