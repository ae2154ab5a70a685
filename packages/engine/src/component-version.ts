import type { ComponentRunner } from './ports/components.js'

/** The version a tree that names none asks for. */
export const UNVERSIONED = 'legacy'

/** Orders versions segment by segment, numbers as numbers: `1.9` < `1.10` < `2.0`. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.')
  const right = b.split('.')
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? ''
    const y = right[i] ?? ''
    const numeric = /^\d+$/.test(x) && /^\d+$/.test(y)
    const order = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0
    if (order !== 0) return order
  }
  return 0
}

/**
 * The version a tree that names none (`legacy`) runs, among the versions of one code: `legacy`
 * itself when there is one, else the highest. Every runner resolves it so, whatever the order
 * the versions were registered or loaded in.
 */
export function defaultVersion(versions: readonly string[]): string | undefined {
  if (versions.includes(UNVERSIONED)) return UNVERSIONED
  return [...versions].sort(compareVersions).at(-1)
}

/** What a tree's validation asks of the components: is this code (at this version) known? */
export function componentLookup(components: ComponentRunner): {
  has(code: string, version?: string): boolean
} {
  return {
    has: (code, version) => !!components.info({ code, version: version ?? UNVERSIONED }),
  }
}
