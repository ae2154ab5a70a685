import { describe, expect, it } from 'vitest'
import { likePattern } from './run-reader.js'
import { locate } from './tasks.js'

describe('locate', () => {
  const tree = {
    start_event: { id: 'e1' },
    activities: { a1: { pipeline: { gateways: { g1: {} }, flows: { f1: {} } } }, a2: {} },
    flows: { f2: {} },
  }

  it('names the section of the node or flow a problem is at', () => {
    const at = (problem: object) =>
      locate(tree, { kind: 'TreeInvalidException', code: 'SCHEMA', message: 'm', ...problem })
    expect(at({ nodeId: 'a2' })).toMatchObject({ node_id: 'a2', path: 'activities.a2' })
    expect(at({ nodeId: 'e1' }).path).toBe('start_event')
    expect(at({ flowId: 'f2' })).toMatchObject({ node_id: null, flow_id: 'f2', path: 'flows.f2' })
    expect(at({ nodeId: 'g1', pipelineId: 'a1' })).toMatchObject({
      pipeline_id: 'a1',
      path: 'activities.a1.pipeline.gateways.g1',
    })
    expect(at({ path: 'activities.a2.component' }).path).toBe('activities.a2.component')
    expect(at({}).path).toBe('')
    expect(at({ severity: 'warning' }).severity).toBe('warning')
    expect(at({}).severity).toBe('error')
  })

  it('never throws on a tree that is not an object', () => {
    expect(
      locate([1], { kind: 'TreeInvalidException', code: 'NOT_AN_OBJECT', message: 'm' }),
    ).toMatchObject({ node_id: null, path: '' })
    expect(
      locate(null, { kind: 'TreeInvalidException', code: 'SCHEMA', message: 'm', nodeId: 'x' }),
    ).toMatchObject({ node_id: 'x', path: '' })
  })
})

describe('likePattern', () => {
  it('matches the text anywhere, its wildcards escaped', () => {
    expect(likePattern('a%b_c!d')).toBe('%a!%b!_c!!d%')
  })
})
