import { RE2JS } from 're2js'

/** What Ajv needs of a compiled pattern. */
interface PatternMatcher {
  test(text: string): boolean
  toString(): string
}

/**
 * Ajv's regular-expression engine for plugin schemas: RE2 (linear time in the input, whatever
 * the pattern), so that a plugin's `pattern: '^(a+)+$'` cannot stall the host on a crafted
 * input. A pattern RE2 cannot run (backreferences, lookarounds) fails the schema's compilation,
 * and the plugin is refused at load with the reason.
 */
export const linearRegExp = Object.assign(
  (pattern: string): PatternMatcher => {
    const compiled = RE2JS.compile(pattern)
    return {
      test: (text: string) => compiled.matcher(text).find(),
      toString: () => `/${pattern}/`,
    }
  },
  { code: 'linearRegExp' },
)
