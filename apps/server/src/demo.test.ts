import { describe, expect, it } from 'vitest'
import { runDemo } from './demo.js'

describe('the start demo', () => {
  it('builds a valid tree whose gateway takes the parallel block for a short timing', () => {
    const { problems, branches, tree } = runDemo()
    expect(problems).toEqual([])
    expect(Object.keys(tree.activities)).toHaveLength(4)
    expect(branches).toEqual([
      {
        bk_timing: '1',
        branch:
          'ParallelGateway ' +
          Object.values(tree.gateways).find((g) => g.type === 'ParallelGateway')!.id,
      },
      { bk_timing: '30', branch: 'ServiceActivity node2' },
    ])
  })
})
