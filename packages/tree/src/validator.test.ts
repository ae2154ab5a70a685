import { describe, expect, it } from 'vitest'
import seed from './fixtures/seed-004-tree.json' with { type: 'json' }
import { codes, graphTree } from './test-trees.js'
import type { PipelineTree, ServiceActivityNode } from './types.js'
import { validateTree } from './validator/validate.js'

const seedTree = seed as unknown as PipelineTree

describe('validateTree on valid trees', () => {
  it('accepts the seed 004 example tree and matches its gateways with their converges', () => {
    const result = validateTree(seedTree)
    expect(result.problems).toEqual([])
    expect(result.valid).toBe(true)
    expect(result.tree.gateways.node0863aab8325b84cfa3e5db52dc61?.converge_gateway_id).toBe(
      'node2b6f3285cfb3961c72834bafbe1b',
    )
    expect(result.tree.gateways.node7e97af0f55fb64276e067951dd9d?.converge_gateway_id).toBe(
      'node947e423b22e49aeb77bc77528bc0',
    )
  })

  it('does not change the tree it is given', () => {
    const before = JSON.stringify(seedTree)
    validateTree(seedTree)
    expect(JSON.stringify(seedTree)).toBe(before)
  })

  it('accepts a sequence, a parallel block, a conditional parallel block and nested blocks', () => {
    const trees = [
      graphTree([
        ['start', 'act1'],
        ['act1', 'act2'],
        ['act2', 'end'],
      ]),
      graphTree([
        ['start', 'pg'],
        ['pg', 'act1'],
        ['pg', 'act2'],
        ['pg', 'act3'],
        ['act1', 'cg'],
        ['act2', 'cg'],
        ['act3', 'cg'],
        ['cg', 'end'],
      ]),
      graphTree([
        ['start', 'cpg'],
        ['cpg', 'act1'],
        ['cpg', 'act2'],
        ['act1', 'cg'],
        ['act2', 'cg'],
        ['cg', 'end'],
      ]),
      graphTree([
        ['start', 'pg1'],
        ['pg1', 'pg2'],
        ['pg1', 'eg1'],
        ['pg2', 'act1'],
        ['pg2', 'act2'],
        ['act1', 'cg2'],
        ['act2', 'cg2'],
        ['eg1', 'act3'],
        ['eg1', 'act4'],
        ['act3', 'cg3'],
        ['act4', 'cg3'],
        ['cg2', 'cg1'],
        ['cg3', 'cg1'],
        ['cg1', 'end'],
      ]),
    ]
    for (const tree of trees) expect(validateTree(tree).problems).toEqual([])
  })

  it('accepts an exclusive gateway whose branch goes straight to the end', () => {
    const tree = graphTree([
      ['start', 'eg'],
      ['eg', 'act1'],
      ['eg', 'end'],
      ['act1', 'end'],
    ])
    expect(validateTree(tree).problems).toEqual([])
  })

  it('accepts exclusive gateways that share one converge gateway', () => {
    const tree = graphTree([
      ['start', 'eg1'],
      ['eg1', 'act1'],
      ['eg1', 'eg2'],
      ['eg2', 'act2'],
      ['eg2', 'act3'],
      ['act1', 'cg'],
      ['act2', 'cg'],
      ['act3', 'cg'],
      ['cg', 'end'],
    ])
    const result = validateTree(tree)
    expect(result.problems).toEqual([])
    expect(result.tree.gateways.eg1?.converge_gateway_id).toBe('cg')
    expect(result.tree.gateways.eg2?.converge_gateway_id).toBe('cg')
  })

  it('accepts a loop back through an exclusive gateway when cycles are tolerated', () => {
    const tree = graphTree([
      ['start', 'act1'],
      ['act1', 'act2'],
      ['act2', 'eg'],
      ['eg', 'act1'],
      ['eg', 'end'],
    ])
    expect(codes(validateTree(tree).problems)).toEqual(['CYCLE'])
    expect(validateTree(tree, { cycleTolerate: true }).problems).toEqual([])
  })

  it('validates subprocess trees and accepts an executable end event registered as a sink', () => {
    const tree = graphTree([
      ['start', 'sub1'],
      ['sub1', 'end'],
    ])
    tree.end_event.type = 'NotifyEndEvent'
    expect(codes(validateTree(tree).problems)).toEqual(['UNKNOWN_NODE_TYPE'])
    expect(validateTree(tree, { sinkTypes: ['NotifyEndEvent'] }).problems).toEqual([])
  })

  it('accepts references to declared constants, runtime keys and system variables', () => {
    const tree = graphTree([
      ['start', 'act1'],
      ['act1', 'end'],
    ])
    tree.data.inputs['${name}'] = { type: 'plain', value: 'x' }
    tree.data.inputs['${greeting}'] = { type: 'splice', value: 'hello ${name|upper}' }
    ;(tree.activities.act1 as ServiceActivityNode).component.inputs = {
      a: { type: 'splice', value: '${greeting} ${_loop} ${preset}' },
      b: { type: 'plain', value: '${not_rendered_because_plain}' },
      c: { type: 'splice', value: '${[x for x in name]}' },
    }
    expect(validateTree(tree, { knownVariables: ['preset'] }).problems).toEqual([])
  })
})

describe('validateTree reports every problem with its kind and code', () => {
  const cases: Array<{
    name: string
    tree: () => unknown
    code: string
    kind?: string
    options?: Parameters<typeof validateTree>[1]
  }> = [
    { name: 'null', tree: () => null, code: 'NOT_AN_OBJECT' },
    { name: 'an array', tree: () => [], code: 'NOT_AN_OBJECT' },
    { name: 'a string', tree: () => 'tree', code: 'NOT_AN_OBJECT' },
    {
      name: 'no start event',
      tree: () => {
        const { start_event: _s, ...rest } = graphTree([['start', 'end']])
        return rest
      },
      code: 'SCHEMA',
    },
    {
      name: 'an activity without a component code',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        ;(tree.activities.act1 as ServiceActivityNode).component = { code: '' }
        return tree
      },
      code: 'SCHEMA',
    },
    {
      name: 'an activity of an unknown type',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        ;(tree.activities.act1 as { type: string }).type = 'ScriptTask'
        return tree
      },
      code: 'SCHEMA',
    },
    {
      name: 'a key that differs from the id',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.activities.act1!.id = 'act9'
        return tree
      },
      code: 'KEY_MISMATCH',
    },
    {
      name: 'one id used by an activity and a gateway',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.gateways.act1 = { id: 'act1', type: 'ConvergeGateway', incoming: [], outgoing: '' }
        return tree
      },
      code: 'DUPLICATE_ID',
    },
    {
      name: 'an id used in the root tree and in a subprocess',
      tree: () => {
        const tree = graphTree([
          ['start', 'sub1'],
          ['sub1', 'act_in_sub1'],
          ['act_in_sub1', 'end'],
        ])
        return tree
      },
      code: 'DUPLICATE_ID',
    },
    {
      name: 'an outgoing flow that does not exist',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.activities.act1!.outgoing = 'nowhere'
        return tree
      },
      code: 'FLOW_MISSING',
    },
    {
      name: 'an incoming flow that targets another node',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'act2'],
          ['act2', 'end'],
        ])
        tree.activities.act2!.incoming = ['start>act1']
        return tree
      },
      code: 'FLOW_NOT_LINKED',
    },
    {
      name: 'a flow from a node that does not exist',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.flows.ghost = { id: 'ghost', source: 'ghost_node', target: 'end' }
        ;(tree.end_event.incoming as string[]).push('ghost')
        return tree
      },
      code: 'FLOW_SOURCE_MISSING',
    },
    {
      name: 'a flow to a node that does not exist',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.flows['act1>end']!.target = 'ghost_node'
        return tree
      },
      code: 'FLOW_TARGET_MISSING',
    },
    {
      name: 'a subprocess whose pipeline has another id',
      tree: () => {
        const tree = graphTree([
          ['start', 'sub1'],
          ['sub1', 'end'],
        ])
        ;(tree.activities.sub1 as { pipeline: PipelineTree }).pipeline.id = 'other'
        return tree
      },
      code: 'SUBPROCESS_ID_MISMATCH',
    },
    {
      name: 'an end event of an unregistered type',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.end_event.type = 'MyEnd'
        return tree
      },
      code: 'UNKNOWN_NODE_TYPE',
    },
    {
      name: 'a start event pointing at the end event',
      tree: () => graphTree([['start', 'end']]),
      code: 'TARGET_NOT_ALLOWED',
      kind: 'ConnectionValidateError',
    },
    {
      name: 'a flow back into the start event',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'start'],
        ])
        tree.start_event.incoming = ['act1>start']
        return tree
      },
      code: 'TARGET_NOT_ALLOWED',
    },
    {
      name: 'an activity with no incoming flow',
      tree: () =>
        graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
          ['act2', 'end'],
        ]),
      code: 'IN_DEGREE',
      kind: 'ConnectionValidateError',
    },
    {
      name: 'a converge gateway with no outgoing flow',
      tree: () =>
        graphTree([
          ['start', 'pg'],
          ['pg', 'act1'],
          ['pg', 'act2'],
          ['act1', 'cg'],
          ['act2', 'cg'],
          ['pg', 'end'],
        ]),
      code: 'OUT_DEGREE',
    },
    {
      name: 'a parallel gateway with no outgoing flow',
      tree: () => {
        const tree = graphTree([
          ['start', 'eg1'],
          ['eg1', 'act1'],
          ['eg1', 'pg2'],
          ['act1', 'end'],
        ])
        return tree
      },
      code: 'OUT_DEGREE',
    },
    {
      name: 'a loop while cycles are not tolerated',
      tree: () =>
        graphTree([
          ['start', 'act1'],
          ['act1', 'eg'],
          ['eg', 'act1'],
          ['eg', 'end'],
        ]),
      code: 'CYCLE',
      kind: 'TreeInvalidException',
    },
    {
      name: 'a gateway that cannot be reached',
      tree: () =>
        graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
          ['eg', 'act2'],
          ['act2', 'eg'],
          ['eg', 'end'],
        ]),
      code: 'GATEWAY_UNREACHABLE',
      kind: 'ConvergeMatchError',
      options: { cycleTolerate: true },
    },
    {
      name: 'activities that cannot be reached',
      tree: () =>
        graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
          ['act2', 'act3'],
          ['act3', 'act2'],
        ]),
      code: 'UNREACHABLE_NODE',
      kind: 'StreamValidateError',
      options: { cycleTolerate: true },
    },
    {
      name: 'a converge gateway that does not join every branch of its parallel gateway',
      tree: () =>
        graphTree([
          ['start', 'pg'],
          ['pg', 'act1'],
          ['pg', 'act1'],
          ['act1', 'cg'],
          ['cg', 'end'],
        ]),
      code: 'CONVERGE_INCOMPLETE',
      kind: 'ConvergeMatchError',
    },
    {
      name: 'a converge gateway joining two parallel gateways',
      tree: () =>
        graphTree([
          ['start', 'eg'],
          ['eg', 'pg1'],
          ['eg', 'pg2'],
          ['pg1', 'act1'],
          ['pg1', 'act2'],
          ['pg2', 'act3'],
          ['pg2', 'act4'],
          ['act1', 'cg'],
          ['act2', 'cg'],
          ['act3', 'cg'],
          ['act4', 'cg'],
          ['cg', 'end'],
        ]),
      code: 'CONVERGE_MIXED_PARALLEL',
    },
    {
      name: 'exclusive branches meeting different converge gateways first',
      tree: () =>
        graphTree([
          ['start', 'eg'],
          ['eg', 'act1'],
          ['eg', 'act2'],
          ['act1', 'cg1'],
          ['cg1', 'act3'],
          ['act3', 'cg2'],
          ['act2', 'cg2'],
          ['cg2', 'end'],
        ]),
      code: 'EXCLUSIVE_CONVERGE_MISMATCH',
    },
    {
      name: 'an exclusive gateway inside a parallel block with a branch to the end',
      tree: () =>
        graphTree([
          ['start', 'pg'],
          ['pg', 'act1'],
          ['pg', 'eg'],
          ['eg', 'act2'],
          ['eg', 'end'],
          ['act1', 'cg'],
          ['act2', 'cg'],
          ['cg', 'end'],
        ]),
      code: 'BRANCH_NOT_CONVERGED',
    },
    {
      name: 'a parallel gateway with a branch straight to the end',
      tree: () =>
        graphTree([
          ['start', 'pg'],
          ['pg', 'act1'],
          ['pg', 'end'],
          ['act1', 'cg'],
          ['cg', 'end'],
        ]),
      code: 'ILLEGAL_GATEWAY',
    },
    {
      name: 'a node reached from a parallel branch and from the main line',
      tree: () =>
        graphTree([
          ['start', 'eg'],
          ['eg', 'pg'],
          ['eg', 'act2'],
          ['pg', 'act1'],
          ['pg', 'act2'],
          ['act1', 'cg'],
          ['act2', 'cg'],
          ['cg', 'end'],
        ]),
      code: 'STREAM_CONFLICT',
      kind: 'StreamValidateError',
    },
    {
      name: 'an exclusive branch without a condition',
      tree: () => {
        const tree = graphTree([
          ['start', 'eg'],
          ['eg', 'act1'],
          ['eg', 'end'],
          ['act1', 'end'],
        ])
        delete (tree.gateways.eg as { conditions: Record<string, unknown> }).conditions['eg>end']
        return tree
      },
      code: 'CONDITION_MISSING',
    },
    {
      name: 'a condition for a flow the gateway does not have',
      tree: () => {
        const tree = graphTree([
          ['start', 'eg'],
          ['eg', 'act1'],
          ['eg', 'end'],
          ['act1', 'end'],
        ])
        ;(tree.gateways.eg as { conditions: Record<string, unknown> }).conditions.elsewhere = {
          evaluate: 'True',
        }
        return tree
      },
      code: 'CONDITION_UNKNOWN_FLOW',
    },
    {
      name: 'a default flow that is not an outgoing flow',
      tree: () => {
        const tree = graphTree([
          ['start', 'eg'],
          ['eg', 'act1'],
          ['eg', 'end'],
          ['act1', 'end'],
        ])
        ;(tree.gateways.eg as { default_condition: unknown }).default_condition = {
          flow_id: 'act1>end',
        }
        return tree
      },
      code: 'DEFAULT_FLOW_INVALID',
    },
    {
      name: 'an empty condition',
      tree: () => {
        const tree = graphTree([
          ['start', 'cpg'],
          ['cpg', 'act1'],
          ['cpg', 'act2'],
          ['act1', 'cg'],
          ['act2', 'cg'],
          ['cg', 'end'],
        ])
        ;(tree.gateways.cpg as { conditions: Record<string, unknown> }).conditions['cpg>act1'] = {
          evaluate: '  ',
        }
        return tree
      },
      code: 'CONDITION_EMPTY',
    },
    {
      name: 'a component the registry does not know',
      tree: () =>
        graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ]),
      code: 'UNKNOWN_COMPONENT',
      options: { components: { has: (code) => code === 'sleep_timer' } },
    },
    {
      name: 'an input referring to a constant that does not exist',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        ;(tree.activities.act1 as ServiceActivityNode).component.inputs = {
          x: { type: 'splice', value: 'size ${missing_size}' },
        }
        return tree
      },
      code: 'UNKNOWN_CONSTANT',
      options: { strictReferences: true },
    },
    {
      name: 'a condition referring to a constant that does not exist',
      tree: () => {
        const tree = graphTree([
          ['start', 'eg'],
          ['eg', 'act1'],
          ['eg', 'end'],
          ['act1', 'end'],
        ])
        ;(tree.gateways.eg as { conditions: Record<string, { evaluate: string }> }).conditions[
          'eg>end'
        ] = { evaluate: '${ghost} > 1' }
        return tree
      },
      code: 'UNKNOWN_CONSTANT',
      options: { strictReferences: true },
    },
    {
      name: 'a platform input referring to a constant that does not exist',
      tree: () => {
        const tree = structuredClone(seedTree)
        delete tree.constants!['${bk_timing}']
        return tree
      },
      code: 'UNKNOWN_CONSTANT',
      options: { strictReferences: true },
    },
    {
      name: 'a constant referring to a constant that does not exist',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        tree.data.inputs['${a}'] = { type: 'splice', value: '${b}-x' }
        return tree
      },
      code: 'UNKNOWN_CONSTANT',
      options: { strictReferences: true },
    },
    {
      name: 'an input whose expression nests a hundred brackets deep',
      tree: () => {
        const tree = graphTree([
          ['start', 'act1'],
          ['act1', 'end'],
        ])
        ;(tree.activities.act1 as ServiceActivityNode).component.inputs = {
          x: { type: 'splice', value: `\${${'('.repeat(100)}1${')'.repeat(100)}}` },
        }
        return tree
      },
      code: 'EXPRESSION_TOO_LARGE',
    },
  ]

  it('has at least 30 invalid trees', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
  })

  for (const testCase of cases) {
    it(`reports ${testCase.code} for ${testCase.name}`, () => {
      const result = validateTree(testCase.tree(), testCase.options)
      expect(result.valid).toBe(false)
      expect(codes(result.problems)).toContain(testCase.code)
      const problem = result.problems.find((p) => p.code === testCase.code)!
      if (testCase.kind) expect(problem.kind).toBe(testCase.kind)
      expect(problem.message.length).toBeGreaterThan(10)
    })
  }

  it('keeps a tree whose reference names no constant valid, warning that it stays text', () => {
    const tree = graphTree([
      ['start', 'eg'],
      ['eg', 'act1'],
      ['eg', 'end'],
      ['act1', 'end'],
    ])
    ;(tree.gateways.eg as { conditions: Record<string, { evaluate: string }> }).conditions[
      'eg>end'
    ] = { evaluate: '"${d}" == "1"' }
    const lenient = validateTree(tree)
    expect(lenient.valid).toBe(true)
    expect(lenient.problems).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_CONSTANT',
        severity: 'warning',
        flowId: 'eg>end',
        message: expect.stringMatching(/is rendered as the text \$\{d\}$/),
      }),
    ])
    const strict = validateTree(tree, { strictReferences: true })
    expect(strict.valid).toBe(false)
    expect(strict.problems[0]).not.toHaveProperty('severity')
  })

  it('reports the problems of a subprocess with the subprocess id', () => {
    const tree = graphTree([
      ['start', 'sub1'],
      ['sub1', 'end'],
    ])
    const inner = (tree.activities.sub1 as { pipeline: PipelineTree }).pipeline
    ;(inner.activities.act_in_sub1 as ServiceActivityNode).component.inputs = {
      x: { type: 'splice', value: '${outer_only}' },
    }
    tree.data.inputs['${outer_only}'] = { type: 'plain', value: 1 }
    const problems = validateTree(tree).problems
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_CONSTANT',
        nodeId: 'act_in_sub1',
        pipelineId: 'sub1',
      }),
    ])
  })

  it('sees subprocess parameters inside the subprocess', () => {
    const tree = graphTree([
      ['start', 'sub1'],
      ['sub1', 'end'],
    ])
    const sub = tree.activities.sub1 as { pipeline: PipelineTree; params: Record<string, unknown> }
    ;(sub.pipeline.activities.act_in_sub1 as ServiceActivityNode).component.inputs = {
      x: { type: 'splice', value: '${param}' },
    }
    sub.params['${param}'] = { type: 'plain', value: 1 }
    expect(validateTree(tree).problems).toEqual([])
  })

  it('reports every problem of a tree, not only the first', () => {
    const tree = graphTree([
      ['start', 'eg'],
      ['eg', 'act1'],
      ['eg', 'end'],
      ['act1', 'end'],
    ])
    delete (tree.gateways.eg as { conditions: Record<string, unknown> }).conditions['eg>end']
    ;(tree.activities.act1 as ServiceActivityNode).component.inputs = {
      x: { type: 'splice', value: '${nope}' },
    }
    const result = validateTree(tree, { components: { has: () => false } })
    expect(codes(result.problems).sort()).toEqual([
      'CONDITION_MISSING',
      'UNKNOWN_COMPONENT',
      'UNKNOWN_CONSTANT',
    ])
  })

  it('reports every connection problem of every node', () => {
    const tree = graphTree([
      ['start', 'act1'],
      ['act1', 'end'],
      ['act2', 'end'],
      ['act3', 'end'],
    ])
    const inDegree = validateTree(tree).problems.filter((p) => p.code === 'IN_DEGREE')
    expect(inDegree.map((p) => p.nodeId).sort()).toEqual(['act2', 'act3'])
  })

  it('names each SCHEMA problem by its path', () => {
    const tree = graphTree([
      ['start', 'act1'],
      ['act1', 'end'],
    ]) as unknown as Record<string, unknown>
    ;(tree.flows as Record<string, unknown>)['act1>end'] = { id: 'act1>end', source: 3 }
    const result = validateTree(tree)
    const paths = result.problems.map((p) => p.path)
    expect(paths).toContain('flows.act1>end.source')
    expect(paths).toContain('flows.act1>end.target')
  })

  it('validates subprocesses nested a hundred deep, and answers a problem for thousands', () => {
    const nest = (depth: number): PipelineTree => {
      let tree: PipelineTree = graphTree([
        ['start', 'act1'],
        ['act1', 'end'],
      ])
      for (let level = 0; level < depth; level++) {
        const outer = graphTree([
          [`start${level}`, `sub${level}`],
          [`sub${level}`, `end${level}`],
        ])
        outer.start_event = {
          ...outer.start_event,
          id: `start${level}`,
          outgoing: `start${level}>sub${level}`,
        }
        outer.end_event = {
          ...outer.end_event,
          id: `end${level}`,
          incoming: [`sub${level}>end${level}`],
        }
        const sub = outer.activities[`sub${level}`] as { pipeline: PipelineTree }
        sub.pipeline = { ...tree, id: `sub${level}` }
        tree = outer
      }
      return tree
    }
    const graph = nest(100)
    expect(validateTree(graph).problems).toEqual([])
    const deep = validateTree(nest(5000))
    expect(deep.valid).toBe(false)
    expect(codes(deep.problems)).toEqual(['TREE_TOO_DEEP'])
  })
})
