import { MemoryRuntime } from '@culm/engine'
import { it } from 'vitest'
import { describeRuntime } from './harness.js'
import { scenarios } from './scenarios/index.js'

describeRuntime(
  'MemoryRuntime',
  () => new MemoryRuntime(),
  scenarios,
  (title, fn) => it(title, fn),
)
