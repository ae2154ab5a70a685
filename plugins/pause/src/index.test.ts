import { runComponent } from '@culm/sdk/testing'
import { describe, expect, it } from 'vitest'
import { pause } from './index.js'

const schedule = (inputs: Record<string, unknown>, callbackData: unknown) =>
  runComponent(pause, { phase: 'schedule', inputs, callbackData })

describe('pause', () => {
  it('waits for a callback after execute', async () => {
    const executed = await runComponent(pause, { inputs: { description: 'deploy' } })
    expect(executed).toMatchObject({ success: true, finished: false })
    expect(executed.logs).toEqual([
      { level: 'info', message: 'waiting for approval', fields: { description: 'deploy' } },
    ])
  })

  it('finishes on approval and records who decided', async () => {
    const result = await schedule({}, { approved: true, approver: 'ada', comment: 'ok' })
    expect(result).toMatchObject({
      success: true,
      outputs: { approved: true, approver: 'ada', comment: 'ok' },
    })
  })

  it('fails on rejection with the comment', async () => {
    const result = await schedule({}, { approved: false, approver: 'bob', comment: 'not today' })
    expect(result).toMatchObject({ success: false, error: 'rejected by bob: not today' })
  })

  it('refuses a decision from someone who is not an approver', async () => {
    const result = await schedule({ approvers: ['ada'] }, { approved: true, approver: 'eve' })
    expect(result).toMatchObject({ success: false, error: 'eve may not decide: approvers are ada' })
  })

  it('refuses a callback without a decision', async () => {
    const result = await schedule({}, { yes: 1 })
    expect(result.error).toBe('the callback must carry { approved: true | false }')
  })
})
