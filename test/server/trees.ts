import { randomBytes } from 'node:crypto'
import {
  buildTree,
  Data,
  EmptyEndEvent,
  EmptyStartEvent,
  type PipelineTree,
  replaceIds,
  SubProcess,
  Var,
} from '@culm/tree'
import { act, exclusive, parallel, sequence } from '../conformance/trees.js'
import request from '../fixtures/seed-004-request.json' with { type: 'json' }

export { act, exclusive, parallel, sequence }

/** The example tree of seed 004 with fresh ids, and a pipeline id (the platform tree has none). */
export function seedTree(): PipelineTree {
  const { tree } = replaceIds(request.pipeline_tree as unknown as PipelineTree)
  return { ...tree, id: `p${randomBytes(16).toString('hex')}` } as PipelineTree
}

/** start -> subprocess(params ${p} = `${boom}`, a raising lazy variable) -> end. */
export function failingSubprocessTree() {
  const innerStart = new EmptyStartEvent()
  const inner = act('debug_node', { echo: '${p}' })
  innerStart.extend(inner).extend(new EmptyEndEvent())
  const sub = new SubProcess({
    start: innerStart,
    data: new Data({ inputs: { '${p}': new Var({ type: 'plain', value: 'default' }) } }),
    params: { '${p}': new Var({ type: 'splice', value: '${boom}' }) },
  })
  const start = new EmptyStartEvent()
  start.extend(sub).extend(new EmptyEndEvent())
  const tree = buildTree(start)
  tree.data.inputs['${boom}'] = { type: 'lazy', value: 'x', custom_type: 'raise_variable' }
  return { tree, sub, inner }
}
