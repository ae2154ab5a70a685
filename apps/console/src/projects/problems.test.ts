import { describe, expect, it } from 'vitest'
import { problemsByNode } from './problems.js'

describe('problemsByNode', () => {
  it('groups problems by the node or flow they are at, marking warnings apart', () => {
    expect(
      problemsByNode([
        { node_id: 'n1', path: 'activities.n1', message: 'unknown component x', severity: 'error' },
        { node_id: 'n1', path: 'activities.n1', message: 'no name', severity: 'warning' },
        { node_id: null, flow_id: 'f1', path: 'flows.f1', message: 'dangling', severity: 'error' },
        { node_id: null, path: 'constants', message: 'tree-wide', severity: 'error' },
      ]),
    ).toEqual({
      n1: ['✖ unknown component x', '⚠ no name'],
      f1: ['✖ dangling'],
    })
  })
})
