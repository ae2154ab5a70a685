import { defineComponent, fail } from '@culm/sdk'

interface Inputs {
  description?: string
  approvers?: string[]
}

interface Outputs {
  approved: boolean
  approver: string | null
  comment: string
}

interface Decision {
  approved?: unknown
  approver?: unknown
  comment?: unknown
}

/**
 * Pauses the pipeline until a callback brings a decision `{ approved, approver?, comment? }`:
 * approval finishes the node, rejection fails it with the approver's comment.
 */
export const pause = defineComponent<Inputs, Outputs>({
  code: 'pause',
  version: '1.0',
  name: 'Pause for approval',
  group: 'Flow',
  description: 'Waits for a callback carrying an approval decision',
  inputs: {
    type: 'object',
    properties: {
      description: { type: 'string', title: 'What is to be approved', default: '' },
      approvers: {
        type: 'array',
        items: { type: 'string' },
        title: 'Who may decide (anyone when empty)',
        default: [],
      },
    },
  },
  outputs: {
    type: 'object',
    properties: {
      approved: { type: 'boolean' },
      approver: { type: ['string', 'null'] },
      comment: { type: 'string' },
    },
  },
  execute(ctx) {
    ctx.log.info('waiting for approval', { description: ctx.data.description ?? '' })
  },
  schedule(ctx) {
    const decision = (ctx.callbackData ?? {}) as Decision
    if (typeof decision.approved !== 'boolean') {
      return fail('the callback must carry { approved: true | false }')
    }
    const approver = typeof decision.approver === 'string' ? decision.approver : null
    const allowed = ctx.data.approvers ?? []
    if (allowed.length > 0 && (approver === null || !allowed.includes(approver))) {
      return fail(
        `${approver ?? 'an anonymous caller'} may not decide: approvers are ${allowed.join(', ')}`,
      )
    }
    const comment = typeof decision.comment === 'string' ? decision.comment : ''
    ctx.setOutput('approved', decision.approved)
    ctx.setOutput('approver', approver)
    ctx.setOutput('comment', comment)
    if (!decision.approved)
      return fail(
        `rejected by ${approver ?? 'an anonymous caller'}${comment ? `: ${comment}` : ''}`,
      )
    return true
  },
})
