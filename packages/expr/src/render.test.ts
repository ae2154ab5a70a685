import { describe, expect, it } from 'vitest'
import { type ExprError, render } from './index.js'

const context = {
  count: 3,
  ratio: 0.5,
  name: 'ada',
  flag: true,
  off: false,
  nothing: null,
  list: [1, 2, 3],
  obj: { key: 'value', 'with space': 1, nested: { deep: [10, 20] } },
  csv: 'a,b,c',
  padded: '  hi  ',
}

describe('render: a string that is exactly one fragment', () => {
  it('keeps the type of the value', () => {
    expect(render('${count}', context)).toBe(3)
    expect(render('${flag}', context)).toBe(true)
    expect(render('${nothing}', context)).toBeNull()
    expect(render('${list}', context)).toEqual([1, 2, 3])
    expect(render('${obj}', context)).toEqual(context.obj)
  })

  it('keeps the type of a computed value', () => {
    expect(render('${count + 1}', context)).toBe(4)
    expect(render('${csv|split(",")}', context)).toEqual(['a', 'b', 'c'])
    expect(render('${obj.nested.deep[1]}', context)).toBe(20)
  })
})

describe('render: templates', () => {
  it('substitutes each fragment as text', () => {
    expect(render('${name} has ${count} items', context)).toBe('ada has 3 items')
    expect(render('${ratio}/${count}', context)).toBe('0.5/3')
  })

  it('prints booleans and null as Python did', () => {
    expect(render('flag=${flag} off=${off} none=${nothing}', context)).toBe(
      'flag=True off=False none=None',
    )
  })

  it('prints lists and objects as JSON', () => {
    expect(render('list=${list} obj=${obj.nested}', context)).toBe(
      'list=[1,2,3] obj={"deep":[10,20]}',
    )
  })

  it('does not treat a fragment with spaces around it as a reference', () => {
    expect(render(' ${count}', context)).toBe(' 3')
    expect(render('${count}${count}', context)).toBe('33')
  })
})

describe('render: structures', () => {
  it('renders array items and object values, not object keys', () => {
    const value = { '${name}': ['${count}', { inner: 'n=${count}' }], plain: 'text' }
    expect(render(value, context)).toEqual({
      '${name}': [3, { inner: 'n=3' }],
      plain: 'text',
    })
  })

  it('returns non-string leaves as they are', () => {
    expect(render([1, true, null, 2.5, { a: false }], context)).toEqual([
      1,
      true,
      null,
      2.5,
      { a: false },
    ])
  })

  it('returns new structures and never mutates its input', () => {
    const value = Object.freeze({ a: Object.freeze(['${count}']), b: '${name}' })
    const rendered = render(value, context) as { a: unknown[] }
    expect(rendered).toEqual({ a: [3], b: 'ada' })
    expect(rendered).not.toBe(value)
    expect(rendered.a).not.toBe(value.a)
    expect(value).toEqual({ a: ['${count}'], b: '${name}' })
  })

  it('renders deeply nested input without exhausting the stack', () => {
    let value: unknown = '${count}'
    for (let i = 0; i < 20_000; i++) value = [{ item: value }]
    let rendered = render(value, context)
    let depth = 0
    while (Array.isArray(rendered)) {
      rendered = (rendered[0] as { item: unknown }).item
      depth++
    }
    expect([depth, rendered]).toEqual([20_000, 3])
  })

  it('accepts context keys written as ${key}', () => {
    expect(render('${a} ${b}', { '${a}': 1, b: 2 })).toBe('1 2')
  })
})

describe('render: fragments that fail stay as they were', () => {
  it('leaves an unknown name unrendered', () => {
    expect(render('${missing}', {})).toBe('${missing}')
    expect(render('x ${count} ${missing.y}', context)).toBe('x 3 ${missing.y}')
  })

  it('leaves a syntax error unrendered', () => {
    expect(render('${count +}', context)).toBe('${count +}')
    expect(render('${count count}', context)).toBe('${count count}')
  })

  it('leaves a missing property unrendered', () => {
    expect(render('${obj.nope}', context)).toBe('${obj.nope}')
    expect(render('${list[10]}', context)).toBe('${list[10]}')
  })

  it('leaves a fragment whose transform fails unrendered', () => {
    expect(render('${name|int}', context)).toBe('${name|int}')
    expect(render('${count|upper}', context)).toBe('${count|upper}')
    expect(render('${name|nosuch}', context)).toBe('${name|nosuch}')
  })

  it('leaves incomplete fragments alone', () => {
    expect(render('${count', context)).toBe('${count')
    expect(render('${}', context)).toBe('${}')
  })

  it('tells onError about each fragment it leaves', () => {
    const errors: ExprError[] = []
    render(['${missing}', '${count +}', '${count}'], context, {
      onError: (error) => errors.push(error),
    })
    expect(errors.map((error) => [error.code, error.expression])).toEqual([
      ['REFERENCE_MISSING', 'missing'],
      ['CONDITION_SYNTAX', 'count +'],
    ])
    expect(errors[0]?.keys).toEqual(['missing'])
  })
})

describe('render: indexing', () => {
  it('reads list items and object keys', () => {
    expect(render('${list[0]}', context)).toBe(1)
    expect(render('${obj.key}', context)).toBe('value')
    expect(render('${obj["with space"]}', context)).toBe(1)
  })

  it('reads the length of strings and lists', () => {
    expect(render('${name.length}', context)).toBe(3)
    expect(render('${list.length}', context)).toBe(3)
  })

  it('reads a property of a list from its first item, as jexl does', () => {
    expect(render('${rows.id}', { rows: [{ id: 1 }, { id: 2 }] })).toBe(1)
  })

  it('counts negative indexes from the end, as Python does', () => {
    expect(render('${list[-1]}', context)).toBe(3)
    expect(render('${name[-1]}', context)).toBe('a')
  })
})

describe('render: Python spellings', () => {
  it.each([
    ['${name.upper()}', 'ADA'],
    ['${csv.split(",")[0]}', 'a'],
    ['${csv.split(",")[-1].upper()}', 'C'],
    ['${csv.replace(",", ";")}', 'a;b;c'],
    ['${padded.strip()}', 'hi'],
    ['${padded.strip().upper()}', 'HI'],
    ['${",".join(list)}', '1,2,3'],
    ['${"-".join(csv.split(","))}', 'a-b-c'],
    ['${csv.count(",")}', 2],
    ['${name.startswith("a")}', true],
    ['${len(list)}', 3],
    ['${int("41") + 1}', 42],
    ['${str(count) + "!"}', '3!'],
    ['${list[1:]}', [2, 3]],
    ['${name[:2]}', 'ad'],
    ['${list[-2:]}', [2, 3]],
    ['${flag and off}', false],
    ['${flag or off}', true],
    ['${not off}', true],
    ['${True}', true],
    ['${2 ** 10}', 1024],
    ['${7 // 2}', 3],
  ])('%s renders as %j', (template, expected) => {
    expect(render(template, context)).toEqual(expected)
  })

  it('leaves Python spellings inside string literals alone', () => {
    expect(render('${"x.upper() and y"}', context)).toBe('x.upper() and y')
  })
})

describe('render: transforms and functions', () => {
  const values = {
    text: ' Hello World ',
    words: 'a b  c',
    items: [3, 1, 2],
    map: { b: 2, a: 1 },
    json: '{"a":[1,2]}',
    num: '2.5',
  }

  it.each([
    ['${words|split}', ['a', 'b', 'c']],
    ['${"a,b,c"|split(",", 1)}', ['a', 'b,c']],
    ['${items|join("-")}', '3-1-2'],
    ['${items|join}', '3,1,2'],
    ['${text|upper}', ' HELLO WORLD '],
    ['${text|lower}', ' hello world '],
    ['${text|strip}', 'Hello World'],
    ['${text|lstrip}', 'Hello World '],
    ['${text|rstrip}', ' Hello World'],
    ['${"xxhixx"|strip("x")}', 'hi'],
    ['${text|replace("o", "0")}', ' Hell0 W0rld '],
    ['${"aaa"|replace("a", "b", 2)}', 'bba'],
    ['${text|len}', 13],
    ['${items|count}', 3],
    ['${map|len}', 2],
    ['${"😀"|len}', 1],
    ['${num|float}', 2.5],
    ['${"12"|int}', 12],
    ['${3.9|int}', 3],
    ['${items|str}', '[3,1,2]'],
    ['${""|bool}', false],
    ['${items|bool}', true],
    ['${text|startswith(" He")}', true],
    ['${text|endswith("x")}', false],
    ['${map|keys}', ['b', 'a']],
    ['${map|values}', [2, 1]],
    ['${map|json}', '{"b":2,"a":1}'],
    ['${json|parse}', { a: [1, 2] }],
    ['${json|parse.a[1]}', 2],
    ['${-3|abs}', 3],
    ['${2.5|round}', 2],
    ['${3.5|round}', 4],
    ['${2.675|round(2)}', 2.67],
    ['${items|min}', 1],
    ['${items|max}', 3],
    ['${max(4, 9)}', 9],
    ['${items|sum}', 6],
    ['${items|slice(1, 2)}', [1]],
    ['${upper("x")}', 'X'],
    ['${len(map)}', 2],
  ])('%s renders as %j', (template, expected) => {
    expect(render(template, values)).toEqual(expected)
  })
})
