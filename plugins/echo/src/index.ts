import { defineComponent } from '@culm/sdk'

const SYSTEM = new Set(['_loop', '_inner_loop'])

/** Copies every input (but `_loop` and `_inner_loop`) to an output of the same key. */
export const echo = defineComponent({
  code: 'echo',
  version: '1.0',
  name: 'Echo',
  group: 'Test',
  description: 'Copies its inputs to its outputs',
  inputs: { type: 'object', additionalProperties: true },
  outputs: { type: 'object', additionalProperties: true },
  execute(ctx) {
    for (const [key, value] of Object.entries(ctx.data)) {
      if (!SYSTEM.has(key)) ctx.setOutput(key, value)
    }
  },
})

/** Does nothing and succeeds: the cheapest component, for benchmarks. */
export const noop = defineComponent({
  code: 'noop',
  version: '1.0',
  name: 'No operation',
  group: 'Test',
  inputs: { type: 'object' },
  outputs: { type: 'object' },
  execute() {},
})
