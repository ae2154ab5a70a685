/** One `${...}` fragment found in a string. */
export interface TemplateFragment {
  /** The whole fragment, `${...}` included. */
  text: string
  /** The expression between `${` and `}`. */
  expression: string
  /** Offset of `$` in the string. */
  start: number
  /** Offset just after `}`. */
  end: number
}

// Python's pattern: no `$`, `{`, `}` or `#` inside a fragment.
export const FRAGMENT_SOURCE = '\\$\\{([^${}#]+)\\}'
const SINGLE_FRAGMENT = new RegExp(`^${FRAGMENT_SOURCE}$`)

/** Every `${...}` fragment of `text`, in order. */
export function templateFragments(text: string): TemplateFragment[] {
  if (!text.includes('${')) return []
  const fragments: TemplateFragment[] = []
  for (const match of text.matchAll(new RegExp(FRAGMENT_SOURCE, 'g'))) {
    const start = match.index
    fragments.push({
      text: match[0],
      expression: match[1] as string,
      start,
      end: start + match[0].length,
    })
  }
  return fragments
}

/** True when `value` is a string made of exactly one `${...}` fragment. */
export function isReference(value: unknown): value is string {
  return typeof value === 'string' && SINGLE_FRAGMENT.test(value)
}

/** The expression of a string that is exactly one fragment, else undefined. */
export function referenceExpression(value: string): string | undefined {
  return SINGLE_FRAGMENT.exec(value)?.[1]
}
