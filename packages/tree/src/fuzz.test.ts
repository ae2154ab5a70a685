import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildTree } from './builder/build-tree.js'
import {
  ConditionalParallelGateway,
  ConvergeGateway,
  type Element,
  EmptyEndEvent,
  EmptyStartEvent,
  ExclusiveGateway,
  ParallelGateway,
  ServiceActivity,
  SubProcess,
} from './builder/elements.js'
import seed from './fixtures/seed-004-tree.json' with { type: 'json' }
import { replaceIds } from './replace-ids.js'
import { graphTree, paths } from './test-trees.js'
import { toEngineTree } from './to-engine-tree.js'
import type { PipelineTree } from './types.js'
import { validateTree } from './validator/validate.js'

const seedTree = seed as unknown as PipelineTree

function mutate(tree: unknown, path: Array<string | number>, action: number, replacement: unknown) {
  const copy = structuredClone(tree) as Record<string | number, unknown>
  if (path.length === 0) return replacement
  let parent: Record<string | number, unknown> = copy
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (action === 0) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else delete parent[last]
  } else if (action === 1) parent[last] = replacement
  else parent[`${String(last)}_copy`] = structuredClone(parent[last])
  return copy
}

function expectAnswer(input: unknown, options?: Parameters<typeof validateTree>[1]): void {
  const result = validateTree(input, options)
  expect(typeof result.valid).toBe('boolean')
  // Warnings (a reference to no constant) leave a tree valid; every other problem refuses it.
  expect(result.valid).toBe(result.problems.every((problem) => problem.severity === 'warning'))
  for (const problem of result.problems) {
    expect(typeof problem.message).toBe('string')
    expect(problem.kind).toBeTruthy()
  }
}

const NODE_NAMES = [
  'start',
  'end',
  'act1',
  'act2',
  'act3',
  'pg1',
  'pg2',
  'eg1',
  'eg2',
  'cpg1',
  'cg1',
  'cg2',
  'sub1',
]

// A fixed number of generated cases: on a busy machine they take longer, never fewer.
describe('the validator never throws', { timeout: 180_000 }, () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectAnswer(value)),
      { numRuns: 2000 },
    )
  })

  it('on objects that look a little like trees', () => {
    const nodeish = fc.record(
      {
        id: fc.string(),
        type: fc.constantFrom(
          'ServiceActivity',
          'SubProcess',
          'ParallelGateway',
          'ExclusiveGateway',
          'ConvergeGateway',
          'x',
        ),
        incoming: fc.oneof(fc.string(), fc.array(fc.string())),
        outgoing: fc.oneof(fc.string(), fc.array(fc.string())),
        component: fc.anything(),
        conditions: fc.dictionary(fc.string(), fc.record({ evaluate: fc.string() })),
      },
      { requiredKeys: [] },
    )
    const treeish = fc.record(
      {
        start_event: nodeish,
        end_event: nodeish,
        activities: fc.dictionary(fc.string(), nodeish),
        gateways: fc.dictionary(fc.string(), nodeish),
        flows: fc.dictionary(
          fc.string(),
          fc.record({ id: fc.string(), source: fc.string(), target: fc.string() }),
        ),
        data: fc.anything(),
        constants: fc.anything(),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(treeish, (value) => expectAnswer(value)),
      { numRuns: 2000 },
    )
  })

  it('on mutations of the seed tree: a value deleted, replaced or duplicated anywhere', () => {
    const allPaths = paths(seedTree)
    fc.assert(
      fc.property(
        fc.constantFrom(...allPaths),
        fc.integer({ min: 0, max: 2 }),
        fc.jsonValue({ maxDepth: 2 }),
        (path, action, replacement) => {
          const mutated = mutate(seedTree, path, action, replacement)
          expectAnswer(mutated)
          expectAnswer(mutated, { cycleTolerate: true })
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('on random graphs of gateways, activities and subprocesses, with and without loops', () => {
    const edge = fc.tuple(fc.constantFrom(...NODE_NAMES), fc.constantFrom(...NODE_NAMES))
    fc.assert(
      fc.property(
        fc.array(edge, { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        (edges, cycles) => {
          const tree = graphTree(edges as Array<[string, string]>)
          expectAnswer(tree, { cycleTolerate: cycles })
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('keeps builder-made trees of random shape valid through replaceIds and toEngineTree', () => {
    fc.assert(
      fc.property(shapeArbitrary, (shape) => {
        const startEvent = new EmptyStartEvent()
        chain(startEvent, shape).extend(new EmptyEndEvent())
        const tree = buildTree(startEvent)
        const result = validateTree(tree)
        expect(result.problems).toEqual([])
        const replaced = replaceIds(result.tree).tree
        expect(validateTree(replaced).problems).toEqual([])
        expect(validateTree(toEngineTree(replaced)).problems).toEqual([])
      }),
      { numRuns: 300 },
    )
  })
})

type Shape =
  | { kind: 'act' }
  | { kind: 'sub'; body: Shape[] }
  | { kind: 'pg' | 'eg' | 'cpg'; branches: Shape[][] }

const { shape: shapeArbitrary } = fc.letrec<{ shape: Shape[]; block: Shape }>((tie) => ({
  shape: fc.array(tie('block'), { minLength: 1, maxLength: 4 }),
  block: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Shape>({ kind: 'act' }),
    fc.record({ kind: fc.constant('sub' as const), body: tie('shape') }),
    fc.record({
      kind: fc.constantFrom('pg' as const, 'eg' as const, 'cpg' as const),
      branches: fc.array(tie('shape'), { minLength: 1, maxLength: 4 }),
    }),
  ),
}))

function buildBlock(block: Shape): { head: Element; last: Element } {
  if (block.kind === 'act') {
    const act = new ServiceActivity({ componentCode: 'debug_node' })
    return { head: act, last: act }
  }
  if (block.kind === 'sub') {
    const innerStart = new EmptyStartEvent()
    chain(innerStart, block.body).extend(new EmptyEndEvent())
    const sub = new SubProcess({ start: innerStart })
    return { head: sub, last: sub }
  }
  const conditions = Object.fromEntries(block.branches.map((_, i) => [i, 'True']))
  const gateway =
    block.kind === 'pg'
      ? new ParallelGateway()
      : block.kind === 'eg'
        ? new ExclusiveGateway({ conditions })
        : new ConditionalParallelGateway({ conditions })
  const converge = new ConvergeGateway()
  for (const branch of block.branches) chain(gateway, branch, true).extend(converge)
  return { head: gateway, last: converge }
}

/** Links `shape` after `from` and returns the last element of the chain. */
function chain(from: Element, shape: Shape[], branch = false): Element {
  let tail = from
  for (const [i, block] of shape.entries()) {
    const next = buildBlock(block)
    if (i === 0 && branch) from.outgoing.push(next.head)
    else tail.extend(next.head)
    tail = next.last
  }
  return tail
}
