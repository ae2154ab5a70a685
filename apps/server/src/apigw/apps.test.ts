import { describe, expect, it } from 'vitest'
import { hashSecret, verifySecret } from './apps.js'

describe('app secrets', () => {
  it('keeps a salted scrypt hash that only the same secret matches', async () => {
    const stored = await hashSecret('esb-test-secret-0001')
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/)
    expect(stored).not.toContain('esb-test-secret-0001')
    expect(await verifySecret('esb-test-secret-0001', stored)).toBe(true)
    expect(await verifySecret('esb-test-secret-0002', stored)).toBe(false)
    expect(await hashSecret('esb-test-secret-0001')).not.toBe(stored)
  })

  it('refuses a stored value that is not an scrypt hash', async () => {
    expect(await verifySecret('x', 'plain-secret')).toBe(false)
    expect(await verifySecret('x', 'scrypt$16384$8$1$$')).toBe(false)
  })
})
