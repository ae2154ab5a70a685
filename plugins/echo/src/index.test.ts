import { runComponent } from '@culm/sdk/testing'
import { describe, expect, it } from 'vitest'
import { echo, noop } from './index.js'

describe('echo', () => {
  it('copies its inputs to its outputs, without the loop counters', async () => {
    const result = await runComponent(echo, {
      inputs: { a: 1, b: { c: [true, null] }, _loop: 1, _inner_loop: 1 },
    })
    expect(result).toMatchObject({ success: true, outputs: { a: 1, b: { c: [true, null] } } })
    expect(result.outputs).not.toHaveProperty('_loop')
  })
})

describe('noop', () => {
  it('succeeds and writes nothing', async () => {
    const result = await runComponent(noop, { inputs: { a: 1 } })
    expect(result).toMatchObject({ success: true, outputs: {} })
  })
})
