import {
  buildTree,
  ConvergeGateway,
  type Element,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ExclusiveGateway,
  ParallelGateway,
  ServiceActivity,
  SubProcess,
  Var,
} from '@culm/tree'

/** A node count and how the nodes are arranged. */
export interface GenerateOptions {
  /** At least this many nodes (events, activities and gateways of every level). */
  nodes: number
  /** `sequence`: activities only; `mixed`: parallel, exclusive and subprocess blocks in turn. */
  shape?: 'sequence' | 'mixed'
  /** The component every activity runs. */
  componentCode?: string
}

const activity = (code: string): ServiceActivity => {
  const act = new ServiceActivity({ componentCode: code })
  act.component.inputs.value = new Var({ type: 'splice', value: '${count}' })
  return act
}

/**
 * A valid engine-format tree of at least `nodes` nodes, built with the builder: a sequence of
 * activities, or a mix of activities, 3-branch parallel blocks, 2-branch exclusive blocks on
 * `${count}` and 3-activity subprocesses.
 */
export function generateTree(options: GenerateOptions): EngineTree {
  const code = options.componentCode ?? 'debug_node'
  const start = new EmptyStartEvent()
  let tail: Element = start
  let count = 2
  let block = 0
  while (count < options.nodes) {
    const kind = options.shape === 'mixed' ? block++ % 4 : 0
    if (kind === 0) {
      tail = tail.extend(activity(code))
      count += 1
    } else if (kind === 1) {
      const pg = new ParallelGateway()
      const cg = new ConvergeGateway()
      tail.extend(pg)
      for (let branch = 0; branch < 3; branch++)
        pg.extend(activity(code)).extend(activity(code)).extend(cg)
      tail = cg
      count += 8
    } else if (kind === 2) {
      const eg = new ExclusiveGateway({ conditions: { 0: '${count} > 1', 1: '${count} <= 1' } })
      const cg = new ConvergeGateway()
      tail.extend(eg)
      eg.extend(activity(code)).extend(cg)
      eg.extend(activity(code)).extend(cg)
      tail = cg
      count += 4
    } else {
      const innerStart = new EmptyStartEvent()
      innerStart
        .extend(activity(code))
        .extend(activity(code))
        .extend(activity(code))
        .extend(new EmptyEndEvent())
      const sub = new SubProcess({
        start: innerStart,
        data: { inputs: { '${count}': { type: 'plain', value: 1, is_param: true } }, outputs: [] },
        params: { '${count}': new Var({ type: 'splice', value: '${count}' }) },
      })
      tail = tail.extend(sub)
      count += 6
    }
  }
  tail.extend(new EmptyEndEvent())
  return buildTree(start, {
    data: { inputs: { '${count}': { type: 'plain', value: 2 } }, outputs: [] },
  })
}

/** Counts the nodes of a tree and its subprocess trees, events included. */
export function countNodes(tree: EngineTree): number {
  let total = 2 + Object.keys(tree.gateways).length
  for (const node of Object.values(tree.activities)) {
    total += 1
    if (node.type === 'SubProcess') total += countNodes(node.pipeline as EngineTree)
  }
  return total
}
