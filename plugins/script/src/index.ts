import { defineComponent, fail } from '@culm/sdk'

interface Inputs {
  expression: string
  values?: Record<string, unknown>
}

/**
 * Evaluates a JavaScript expression over `values` (`values.a + values.b`) and outputs the result.
 * It runs inside the plugin's isolate, under its memory and time limits, with nothing of the
 * host in reach.
 */
export const script = defineComponent<Inputs, { result: unknown }>({
  code: 'script',
  version: '1.0',
  name: 'Script',
  group: 'Data',
  description: 'Evaluates a JavaScript expression over the inputs',
  inputs: {
    type: 'object',
    properties: {
      expression: { type: 'string', title: 'Expression', minLength: 1 },
      values: { type: 'object', title: 'Values', default: {} },
    },
    required: ['expression'],
  },
  outputs: {
    type: 'object',
    properties: { result: { title: 'Result' } },
  },
  async execute(ctx) {
    let evaluate: (values: Record<string, unknown>) => unknown
    try {
      evaluate = new Function('values', `"use strict"; return (${ctx.data.expression}\n)`) as never
    } catch (error) {
      return fail(`the expression does not parse: ${(error as Error).message}`)
    }
    ctx.setOutput('result', await evaluate(ctx.data.values ?? {}))
    return true
  },
})
