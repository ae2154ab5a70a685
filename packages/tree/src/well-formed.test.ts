import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import seed from './fixtures/seed-004-tree.json' with { type: 'json' }
import { pipelineTreeSchema } from './schema.js'
import { graphTree, paths } from './test-trees.js'
import { isWellFormed } from './well-formed.js'

function replaceAt(
  tree: unknown,
  path: Array<string | number>,
  replacement: unknown,
  remove: boolean,
) {
  if (path.length === 0) return replacement
  const copy = structuredClone(tree) as Record<string | number, unknown>
  let parent: Record<string | number, unknown> = copy
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>
  const last = path[path.length - 1]!
  if (remove) delete parent[last]
  else parent[last] = replacement
  return copy
}

const engineTree = graphTree([
  ['start', 'eg'],
  ['eg', 'act1'],
  ['eg', 'sub1'],
  ['act1', 'cg'],
  ['sub1', 'cg'],
  ['cg', 'end'],
])
engineTree.data.inputs['${x}'] = { type: 'splice', value: '${y}' }
engineTree.data.inputs['${o}'] = { type: 'plain', value: null, source_act: 'act1', source_key: 'k' }

// A fixed number of generated cases: on a busy machine they take longer, never fewer.
describe('the fast well-formedness check', { timeout: 180_000 }, () => {
  it('accepts the trees the schema accepts in the examples', () => {
    expect(isWellFormed(seed)).toBe(true)
    expect(isWellFormed(engineTree)).toBe(true)
  })

  it('never accepts what the schema refuses, on any mutation of either dialect', () => {
    for (const base of [seed, engineTree] as unknown[]) {
      const all = paths(base)
      fc.assert(
        fc.property(
          fc.constantFrom(...all),
          fc.oneof(
            fc.jsonValue({ maxDepth: 2 }),
            fc.constant(undefined),
            fc.constant(-1),
            fc.constant(''),
          ),
          fc.boolean(),
          (path, replacement, remove) => {
            const mutated = replaceAt(base, path, replacement, remove)
            if (isWellFormed(mutated))
              expect(pipelineTreeSchema.safeParse(mutated).success).toBe(true)
          },
        ),
        { numRuns: 4000 },
      )
    }
  })

  it('never accepts what the schema refuses, on arbitrary values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        if (isWellFormed(value)) expect(pipelineTreeSchema.safeParse(value).success).toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})
