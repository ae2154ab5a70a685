import { describe, expect, it } from 'vitest'
import { defineComponent, defineLazyVariable, fail } from './define-component.js'
import { describeComponent, schemaFields } from './schema.js'
import { runComponent } from './testing.js'

const object = { type: 'object' } as const

describe('defineComponent', () => {
  it('refuses a code that is not lower snake case', () => {
    expect(() =>
      defineComponent({
        code: 'Bad-Code',
        name: 'x',
        inputs: object,
        outputs: object,
        execute() {},
      }),
    ).toThrow(/component Bad-Code: code must be lower snake case/)
  })

  it('refuses an inputs schema that is not an object schema', () => {
    expect(() =>
      defineComponent({
        code: 'a',
        name: 'A',
        inputs: { type: 'string' } as never,
        outputs: object,
        execute() {},
      }),
    ).toThrow(/inputs schema must have type "object"/)
  })

  it('refuses required keys without a property', () => {
    expect(() =>
      defineComponent({
        code: 'a',
        name: 'A',
        inputs: { type: 'object', properties: {}, required: ['x'] },
        outputs: object,
        execute() {},
      }),
    ).toThrow(/required names keys without a property: x/)
  })

  it('refuses an interval without a schedule function', () => {
    expect(() =>
      defineComponent({
        code: 'a',
        name: 'A',
        inputs: object,
        outputs: object,
        interval: 1,
        execute() {},
      }),
    ).toThrow(/interval needs a schedule function/)
  })

  it('refuses a lazy variable without getValue', () => {
    expect(() => defineLazyVariable({ code: 'v' } as never)).toThrow(/getValue must be a function/)
  })

  it('describes the schedule mode and the fields of the schemas', () => {
    const component = defineComponent({
      code: 'poller',
      version: '2.0',
      name: 'Poller',
      inputs: {
        type: 'object',
        properties: { n: { type: 'integer', title: 'Count' }, s: { type: 'string' } },
        required: ['n'],
      },
      outputs: object,
      interval: 5,
      execute() {},
      schedule() {},
    })
    expect(describeComponent(component)).toMatchObject({
      code: 'poller',
      version: '2.0',
      scheduleMode: 'poll',
      timeout: 60,
      test: false,
    })
    expect(schemaFields(component.inputs)).toEqual([
      {
        key: 'n',
        name: 'Count',
        type: 'int',
        required: true,
        schema: { type: 'integer', title: 'Count' },
      },
      { key: 's', name: 's', type: 'string', required: false, schema: { type: 'string' } },
    ])
  })
})

describe('runComponent', () => {
  const echo = defineComponent<{ message: string }, { message: string }>({
    code: 'echo',
    name: 'Echo',
    inputs: { type: 'object', properties: { message: { type: 'string' } } },
    outputs: { type: 'object', properties: { message: { type: 'string' } } },
    execute(ctx) {
      ctx.log.info('echoing', { length: ctx.data.message.length })
      if (ctx.data.message === 'no') return fail('told no')
      ctx.setOutput('message', ctx.data.message)
      return true
    },
  })

  it('sets outputs and logs', async () => {
    const result = await runComponent(echo, { inputs: { message: 'hi' } })
    expect(result).toMatchObject({ success: true, finished: false, outputs: { message: 'hi' } })
    expect(result.logs).toEqual([{ level: 'info', message: 'echoing', fields: { length: 2 } }])
  })

  it('fails with the message of fail()', async () => {
    const result = await runComponent(echo, { inputs: { message: 'no' } })
    expect(result).toMatchObject({ success: false, error: 'told no' })
  })

  it('turns a thrown non-Error into a failure naming the value', async () => {
    const thrower = defineComponent({
      code: 'thrower',
      name: 'Thrower',
      inputs: object,
      outputs: object,
      execute() {
        throw { reason: 42 }
      },
    })
    const result = await runComponent(thrower)
    expect(result.success).toBe(false)
    expect(result.error).toBe('the component threw a non-Error value: {"reason":42}')
  })

  it('fails a result with a non-JSON output and keeps the outputs it started with', async () => {
    const bad = defineComponent({
      code: 'bad',
      name: 'Bad',
      inputs: object,
      outputs: object,
      execute(ctx) {
        ctx.setOutput('fn', () => 1)
      },
    })
    const result = await runComponent(bad, { outputs: { kept: 1 } })
    expect(result).toMatchObject({ success: false, outputs: { kept: 1 } })
    expect(result.error).toBe('invalid component result: outputs.fn: a function is not JSON')
  })

  it('fails a result over the size limit', async () => {
    const big = defineComponent({
      code: 'big',
      name: 'Big',
      inputs: object,
      outputs: object,
      execute(ctx) {
        ctx.setOutput('blob', 'x'.repeat(2000))
      },
    })
    const result = await runComponent(big, { maxResultBytes: 1000 })
    expect(result.success).toBe(false)
    expect(result.error).toMatch(/over the limit of 1000/)
  })

  it('polls with the interval, or as pollAfter says, until finish()', async () => {
    const poller = defineComponent({
      code: 'poller',
      name: 'Poller',
      inputs: object,
      outputs: object,
      interval: (times) => times * 2,
      execute() {},
      schedule(ctx) {
        if (ctx.scheduleTimes === 1) ctx.pollAfter(7)
        if (ctx.scheduleTimes === 2) ctx.finish()
      },
    })
    const first = await runComponent(poller, { phase: 'schedule', scheduleTimes: 0 })
    expect(first).toMatchObject({ success: true, finished: false, pollAfterSeconds: 2 })
    const second = await runComponent(poller, { phase: 'schedule', scheduleTimes: 1 })
    expect(second.pollAfterSeconds).toBe(7)
    const third = await runComponent(poller, { phase: 'schedule', scheduleTimes: 2 })
    expect(third.finished).toBe(true)
  })

  it('refuses a fetch to a host that is not allowed', async () => {
    const fetcher = defineComponent({
      code: 'fetcher',
      name: 'Fetcher',
      inputs: object,
      outputs: object,
      async execute(ctx) {
        await ctx.fetch('http://example.invalid/')
      },
    })
    const result = await runComponent(fetcher, { allowedHosts: ['example.com'] })
    expect(result.error).toBe('TypeError: fetch to example.invalid is not allowed for this plugin')
  })
})
