import { describe, expect, it } from 'vitest'
import { canTransit } from './states.js'

describe('the state table', () => {
  it('allows the transitions of the Python engine and nothing else', () => {
    expect(canTransit('READY', 'RUNNING')).toBe(true)
    expect(canTransit('FAILED', 'READY')).toBe(true)
    expect(canTransit('FAILED', 'LOOP_READY')).toBe(true)
    expect(canTransit('FINISHED', 'RUNNING')).toBe(true)
    expect(canTransit('SUSPENDED', 'REVOKED')).toBe(true)
    expect(canTransit('REVOKED', 'RUNNING')).toBe(false)
    expect(canTransit('FINISHED', 'SUSPENDED')).toBe(false)
    expect(canTransit('FAILED', 'RUNNING')).toBe(false)
    expect(canTransit('READY', 'FINISHED')).toBe(false)
  })
})
