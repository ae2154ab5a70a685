import { describe, expect, it, vi } from 'vitest'
import { type ExprError, resolveConstants } from './index.js'

function errorOf(run: () => unknown): ExprError {
  try {
    run()
  } catch (error) {
    return error as ExprError
  }
  throw new TypeError('expected an error')
}

describe('resolveConstants', () => {
  it('resolves constants in dependency order, whatever their declaration order', () => {
    const resolved = resolveConstants({
      '${greeting}': { type: 'splice', value: '${hello} ${name}!' },
      '${hello}': { type: 'splice', value: '${word|upper}' },
      '${name}': { type: 'plain', value: 'ada' },
      '${word}': 'hello',
    })
    expect(resolved).toEqual({ greeting: 'HELLO ada!', hello: 'HELLO', name: 'ada', word: 'hello' })
  })

  it('returns keys bare, in declaration order, whether they were written key or ${key}', () => {
    const resolved = resolveConstants({ '${b}': 1, a: '${b}' })
    expect(Object.keys(resolved)).toEqual(['b', 'a'])
    expect(resolved).toEqual({ b: 1, a: 1 })
  })

  it('keeps the type of a value that is exactly one reference', () => {
    const resolved = resolveConstants({
      list: { type: 'plain', value: [1, 2] },
      copy: { type: 'splice', value: '${list}' },
      size: { type: 'splice', value: '${len(list)}' },
    })
    expect(resolved).toEqual({ list: [1, 2], copy: [1, 2], size: 2 })
  })

  it('returns plain variables as they are, templates included', () => {
    const resolved = resolveConstants({
      a: { type: 'plain', value: 'x' },
      raw: { type: 'plain', value: 'literal ${a}' },
    })
    expect(resolved.raw).toBe('literal ${a}')
  })

  it('renders raw values and splice objects', () => {
    const resolved = resolveConstants({
      a: 2,
      obj: { type: 'splice', value: { n: '${a}', list: ['${a + 1}'] } },
      text: 'a=${a}',
    })
    expect(resolved).toEqual({ a: 2, obj: { n: 2, list: [3] }, text: 'a=2' })
  })

  it('uses options.context without returning it', () => {
    const resolved = resolveConstants(
      { url: 'https://${host}/${_system.task_id}' },
      { context: { '${host}': 'example.org', _system: { task_id: 7 } } },
    )
    expect(resolved).toEqual({ url: 'https://example.org/7' })
  })

  it('lets a constant shadow a context value of the same name', () => {
    const resolved = resolveConstants(
      { name: { type: 'plain', value: 'constant' }, text: '${name}' },
      { context: { name: 'context' } },
    )
    expect(resolved.text).toBe('constant')
  })

  it('skips node outputs unless they are initialized', () => {
    const resolved = resolveConstants({
      '${out}': { type: 'plain', source_act: 'node1', source_key: 'result', value: null },
      '${rewritable}': {
        type: 'plain',
        source_act: [{ source_act: 'node2', source_key: 'x' }],
        need_initialization: true,
        value: 'initial',
      },
      '${uses}': 'out=${out} rewritable=${rewritable}',
    })
    expect(resolved).toEqual({ rewritable: 'initial', uses: 'out=${out} rewritable=initial' })
  })

  it('passes lazy variables, rendered, to the lazy resolver', () => {
    const lazy = vi.fn(
      (customType: string, value: unknown, _context: Record<string, unknown>) =>
        `${customType}:${String(value)}`,
    )
    const resolved = resolveConstants(
      {
        ip: '10.0.0.1',
        host: { type: 'lazy', custom_type: 'ip_selector', value: '${ip}:80' },
        uses: 'via ${host}',
      },
      { lazy, context: { biz: 2 } },
    )
    expect(resolved.host).toBe('ip_selector:10.0.0.1:80')
    expect(resolved.uses).toBe('via ip_selector:10.0.0.1:80')
    expect(lazy).toHaveBeenCalledTimes(1)
    expect(lazy.mock.calls[0]?.[2]).toMatchObject({ ip: '10.0.0.1', biz: 2 })
  })

  it('refuses lazy variables without a resolver', () => {
    const error = errorOf(() =>
      resolveConstants({ x: { type: 'lazy', custom_type: 't', value: 1 } }),
    )
    expect(error.code).toBe('LAZY_UNSUPPORTED')
    expect(error.keys).toEqual(['x'])
  })

  it('names the keys of a cycle', () => {
    const error = errorOf(() =>
      resolveConstants({ '${a}': '${b}', '${b}': { type: 'splice', value: 'x${a}' }, c: 1 }),
    )
    expect(error.code).toBe('REFERENCE_CYCLE')
    expect(error.keys).toEqual(['a', 'b'])
    expect(error.message).toContain('a -> b -> a')
  })

  it('names a constant that references itself', () => {
    const error = errorOf(() => resolveConstants({ a: '${a + 1}' }))
    expect(error.code).toBe('REFERENCE_CYCLE')
    expect(error.message).toContain('a -> a')
  })

  it('names only the keys of the cycle, not those leading to it', () => {
    const error = errorOf(() =>
      resolveConstants({ start: '${a}', a: '${b}', b: '${c}', c: '${a}' }),
    )
    expect(error.keys).toEqual(['a', 'b', 'c'])
  })

  it('names the constant and the keys it misses', () => {
    const error = errorOf(() =>
      resolveConstants({ a: 1, b: '${a} ${nope} ${gone.x}' }, { context: { c: 1 } }),
    )
    expect(error.code).toBe('REFERENCE_MISSING')
    expect(error.keys).toEqual(['b', 'nope', 'gone'])
    expect(error.message).toContain("'b'")
    expect(error.message).toContain("'nope'")
  })

  it('does not look at the references of plain variables', () => {
    expect(resolveConstants({ a: { type: 'plain', value: '${nope}' } })).toEqual({ a: '${nope}' })
  })

  it('resolves a chain of 10,000 constants without exhausting the stack', () => {
    const constants: Record<string, unknown> = {}
    for (let i = 0; i < 10_000; i++) constants[`\${k${i}}`] = `\${k${i + 1}}`
    constants['${k10000}'] = { type: 'plain', value: 'end' }
    const resolved = resolveConstants(constants)
    expect(resolved.k0).toBe('end')
    expect(resolved.k9999).toBe('end')
  })

  it('finds a cycle through 10,000 constants without exhausting the stack', () => {
    const constants: Record<string, unknown> = {}
    for (let i = 0; i < 10_000; i++) constants[`k${i}`] = `\${k${(i + 1) % 10_000}}`
    const error = errorOf(() => resolveConstants(constants))
    expect(error.code).toBe('REFERENCE_CYCLE')
    expect(error.keys).toHaveLength(10_000)
  })
})
