import { recordValues } from './graph.js'
import type { PipelineTree } from './types.js'

/** Which dialect a tree is written in. */
export type Dialect = 'engine' | 'platform'

/**
 * A tree is in the platform format when it declares `constants`, has inputs as `component.data`
 * or has no `data`; otherwise it is in the engine format.
 */
export function dialectOf(tree: PipelineTree): Dialect {
  if (tree.constants !== undefined || tree.data === undefined) return 'platform'
  for (const activity of recordValues(tree.activities)) {
    if (activity.type === 'ServiceActivity' && activity.component.data !== undefined)
      return 'platform'
  }
  return 'engine'
}
