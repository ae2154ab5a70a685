import { validateTree } from '@culm/tree'
import { countNodes, generateTree } from '../support/generate-tree.js'
import { measure, report } from './measure.js'

/** Validation time of generated trees of 1,000 and 10,000 nodes, sequence and mixed shapes. */
export function benchValidate(): void {
  for (const shape of ['sequence', 'mixed'] as const) {
    for (const nodes of [1_000, 10_000]) {
      const tree = generateTree({ nodes, shape })
      const actual = countNodes(tree)
      const check = validateTree(tree)
      if (!check.valid) {
        throw new TypeError(`generated tree is invalid: ${check.problems[0]?.message}`)
      }
      const result = measure(() => validateTree(tree), nodes >= 10_000 ? 10 : 30)
      report(`validateTree ${shape} ${actual} nodes`, {
        median_ms: result.medianMs,
        min_ms: result.minMs,
        us_per_node: (result.medianMs * 1000) / actual,
      })
    }
  }
}
