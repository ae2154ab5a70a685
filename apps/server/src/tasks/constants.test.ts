import type { Constant } from '@culm/tree'
import { describe, expect, it } from 'vitest'
import { overrideConstants } from './constants.js'

function constants(): Record<string, Constant> {
  const make = (key: string, fields: Partial<Constant>): Constant => ({
    key,
    name: key,
    source_type: 'custom',
    value: '',
    ...fields,
  })
  return {
    '${count}': make('${count}', { custom_type: 'int', value: '1' }),
    '${text}': make('${text}', { custom_type: 'textarea', value: 'a' }),
    '${when}': make('${when}', { custom_type: 'datetime', value: '2026-01-01 00:00:00' }),
    '${bk_timing}': make('${bk_timing}', { source_type: 'component_inputs', value: '1' }),
    '${out}': make('${out}', { source_type: 'component_outputs', value: '' }),
  }
}

describe('overrideConstants', () => {
  it('sets values by ${key} or bare key when each fits its custom_type', () => {
    const tree = constants()
    const issues = overrideConstants(tree, {
      count: '42',
      '${text}': 'many\nlines',
      when: '2026-11-23 13:00:00',
      bk_timing: 12,
    })
    expect(issues).toEqual([])
    expect(tree['${count}']!.value).toBe('42')
    expect(tree['${text}']!.value).toBe('many\nlines')
    expect(tree['${when}']!.value).toBe('2026-11-23 13:00:00')
    expect(tree['${bk_timing}']!.value).toBe(12)
  })

  it('names every value that does not fit, and changes none', () => {
    const tree = constants()
    const issues = overrideConstants(tree, {
      count: 1.5,
      text: 7,
      when: 'tomorrow',
      bk_timing: { seconds: 1 },
      out: 'x',
      missing: 1,
    })
    expect(issues.map((i) => i.field)).toEqual([
      'constants.count',
      'constants.text',
      'constants.when',
      'constants.bk_timing',
      'constants.out',
      'constants.missing',
    ])
    expect(issues[0]!.message).toContain('integer')
    expect(issues[4]!.message).toContain('output')
    expect(issues[5]!.message).toContain('no constant ${missing}')
    expect(tree).toEqual(constants())
  })

  it('changes nothing when one of several values is wrong', () => {
    const tree = constants()
    expect(overrideConstants(tree, { count: '2', text: 3 })).toHaveLength(1)
    expect(tree['${count}']!.value).toBe('1')
  })
})
