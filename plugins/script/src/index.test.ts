import { runComponent } from '@culm/sdk/testing'
import { describe, expect, it } from 'vitest'
import { script } from './index.js'

describe('script', () => {
  it('evaluates the expression over the values', async () => {
    const result = await runComponent(script, {
      inputs: {
        expression: 'values.items.map((x) => x * values.factor)',
        values: { items: [1, 2], factor: 3 },
      },
    })
    expect(result).toMatchObject({ success: true, outputs: { result: [3, 6] } })
  })

  it('fails an expression that does not parse', async () => {
    const result = await runComponent(script, { inputs: { expression: '1 +' } })
    expect(result.success).toBe(false)
    expect(result.error).toMatch(/^the expression does not parse: /)
  })

  it('fails an expression that throws, with its message', async () => {
    const result = await runComponent(script, { inputs: { expression: 'values.missing.deep' } })
    expect(result.error).toMatch(/^TypeError: Cannot read properties of undefined/)
  })

  it('fails a result that is not JSON', async () => {
    const result = await runComponent(script, { inputs: { expression: '() => 1' } })
    expect(result.error).toBe('invalid component result: outputs.result: a function is not JSON')
  })
})
