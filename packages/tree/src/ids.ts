const HEX = '0123456789abcdef'

// Random bytes are drawn in blocks: one call to the system's generator per 4 KiB, not per id.
const pool = new Uint8Array(4096)
let used = pool.length

function randomHex(length: number): string {
  const count = Math.ceil(length / 2)
  if (used + count > pool.length) {
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  let out = ''
  for (let i = used; i < used + count; i++) out += HEX[pool[i]! >> 4]! + HEX[pool[i]! & 15]!
  used += count
  return out.slice(0, length)
}

/**
 * A new id in the Python engine's form: a one-letter prefix and 32 hex digits
 * (`p` pipelines, `e` nodes, `f` flows, `v` state versions).
 */
export function uniqueId(prefix: string): string {
  return prefix + randomHex(32)
}

/** A new id in the platform's form: `node` or `line` and 28 hex digits (32 characters). */
export function platformId(prefix: 'node' | 'line'): string {
  return prefix + randomHex(28)
}
