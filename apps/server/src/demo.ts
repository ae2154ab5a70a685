import { evaluateCondition, resolveConstants } from '@culm/expr'
import {
  buildTree,
  ConvergeGateway,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ExclusiveGateway,
  ParallelGateway,
  type Problem,
  ServiceActivity,
  Var,
  validateTree,
} from '@culm/tree'

/** What the demo found: the tree it built, the validator's answer, the branch each timing takes. */
export interface DemoResult {
  tree: EngineTree
  problems: Problem[]
  branches: Array<{ bk_timing: string; branch: string }>
}

const sleep = (name: string, timing: string, hooked: boolean): ServiceActivity => {
  const act = new ServiceActivity({ componentCode: 'sleep_timer', name })
  act.component.inputs.bk_timing = new Var({ type: hooked ? 'splice' : 'plain', value: timing })
  return act
}

/**
 * Builds the example of the platform's `fast_create_task` document with the builder (an exclusive
 * gateway on `${bk_timing}` choosing between one timer and a parallel block of two), validates it
 * and evaluates the gateway for a short and a long timing.
 */
export function runDemo(): DemoResult {
  const start = new EmptyStartEvent()
  const eg = new ExclusiveGateway({
    conditions: { 0: '${bk_timing} <= 10', 1: '${bk_timing} > 10' },
  })
  const pg = new ParallelGateway()
  const innerConverge = new ConvergeGateway()
  const outerConverge = new ConvergeGateway()
  start.extend(sleep('node1', '${bk_timing}', true)).extend(eg)
  eg.extend(pg).connect(sleep('node3', '3', false), sleep('node4', '${bk_timing}', true))
  pg.converge(innerConverge).extend(outerConverge)
  eg.extend(sleep('node2', '${bk_timing}', true)).extend(outerConverge)
  outerConverge.extend(new EmptyEndEvent())
  const tree = buildTree(start, {
    data: { inputs: { '${bk_timing}': { type: 'plain', value: '1' } }, outputs: ['${bk_timing}'] },
  })
  const { problems, tree: checked } = validateTree(tree)

  const gateway = checked.gateways[eg.id]
  const conditions = gateway?.type === 'ExclusiveGateway' ? gateway.conditions : {}
  const branches = ['1', '30'].map((timing) => {
    const context = resolveConstants({ '${bk_timing}': { type: 'plain', value: timing } })
    const taken = Object.entries(conditions).find(([, c]) => evaluateCondition(c.evaluate, context))
    const target = taken ? checked.flows[taken[0]]?.target : undefined
    const node = target ? (checked.activities[target] ?? checked.gateways[target]) : undefined
    return { bk_timing: timing, branch: node ? `${node.type} ${node.name || node.id}` : 'none' }
  })
  return { tree: checked as EngineTree, problems, branches }
}
