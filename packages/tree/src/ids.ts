const HEX = '0123456789abcdef'

function randomHex(length: number): string {
  const bytes = new Uint8Array(Math.ceil(length / 2))
  globalThis.crypto.getRandomValues(bytes)
  let out = ''
  for (const byte of bytes) out += HEX[byte >> 4]! + HEX[byte & 15]!
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
