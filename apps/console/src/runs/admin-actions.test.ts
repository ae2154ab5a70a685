import { describe, expect, it } from 'vitest'
import {
  ADMIN_ACTIONS,
  adminPath,
  describeAction,
  nodeActions,
  retryInputs,
  runActions,
} from './admin-actions.js'

describe('engine admin actions', () => {
  it('calls the action of the run engine type at its engine-admin path', () => {
    expect(adminPath('pipeline_engine', 'node_retry', 'n1')).toBe(
      '/engine-admin/api/v1/pipeline_engine/node_retry/n1',
    )
  })

  it('offers pause or resume, dispatching again and revoke on a live run, nothing on a finished one', () => {
    expect(runActions('RUNNING')).toEqual(['task_pause', 'task_redispatch', 'task_revoke'])
    expect(runActions('SUSPENDED')).toEqual(['task_resume', 'task_revoke'])
    expect(runActions('FINISHED')).toEqual([])
    expect(runActions(null)).toEqual([])
  })

  it('offers each node action where the engine accepts it', () => {
    expect(nodeActions('ServiceActivity', 'FAILED')).toEqual(['node_retry', 'node_skip'])
    expect(nodeActions('ServiceActivity', 'RUNNING')).toEqual(['node_callback', 'node_forced_fail'])
    expect(nodeActions('ServiceActivity', 'FINISHED')).toEqual([])
    expect(
      nodeActions('ServiceActivity', 'RUNNING', { type: 'callback', finished: false }),
    ).toEqual(['node_callback', 'node_forced_fail'])
    expect(nodeActions('ServiceActivity', 'RUNNING', { type: 'poll', finished: false })).toEqual([
      'node_forced_fail',
    ])
    expect(nodeActions('ServiceActivity', 'RUNNING', null)).toEqual(['node_forced_fail'])
    expect(nodeActions('ExclusiveGateway', 'FAILED')).toEqual(['node_skip_exg'])
    expect(nodeActions('ConditionalParallelGateway', 'FAILED')).toEqual(['node_skip_cpg'])
    expect(nodeActions('SubProcess', 'FAILED')).toEqual([])
  })

  it('names the target and the engine in every confirmation', () => {
    for (const action of ADMIN_ACTIONS) {
      const text = describeAction(action, 'abc', 'bamboo_engine')
      expect(text).toContain('abc')
      expect(text).toContain('bamboo_engine')
    }
  })

  it("starts a retry from the node's inputs without the engine's loop counters", () => {
    expect(retryInputs({ bit: 0, _loop: 1, _inner_loop: 1 })).toEqual({ bit: 0 })
    expect(retryInputs(null)).toEqual({})
    expect(retryInputs([1])).toEqual({})
  })
})
