/** A random id of the platform's form: a prefix and 32 hex digits. */
function platformId(prefix: 'node' | 'line'): string {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('')
  return `${prefix}${hex}`
}

/**
 * A platform-format tree (as the task API takes it): start, the given components in a row, end.
 * Each step is `[code, inputs]`; inputs are plain values (`hook: false`).
 */
export function sequenceTree(steps: [string, Record<string, unknown>][]): Record<string, unknown> {
  const start = platformId('node')
  const end = platformId('node')
  const ids = steps.map(() => platformId('node'))
  const chain = [start, ...ids, end]
  const flows: Record<string, { id: string; source: string; target: string; is_default: boolean }> =
    {}
  const outgoing: Record<string, string> = {}
  const incoming: Record<string, string> = {}
  for (let i = 0; i < chain.length - 1; i++) {
    const id = platformId('line')
    flows[id] = { id, source: chain[i]!, target: chain[i + 1]!, is_default: false }
    outgoing[chain[i]!] = id
    incoming[chain[i + 1]!] = id
  }
  const activities = Object.fromEntries(
    steps.map(([code, inputs], i) => {
      const id = ids[i]!
      return [
        id,
        {
          id,
          type: 'ServiceActivity',
          name: `${code} ${i + 1}`,
          incoming: incoming[id],
          outgoing: outgoing[id],
          component: {
            code,
            data: Object.fromEntries(
              Object.entries(inputs).map(([k, v]) => [k, { hook: false, value: v }]),
            ),
          },
          error_ignorable: false,
          retryable: true,
          skippable: true,
        },
      ]
    }),
  )
  return {
    start_event: {
      id: start,
      type: 'EmptyStartEvent',
      name: '',
      incoming: '',
      outgoing: outgoing[start],
    },
    end_event: { id: end, type: 'EmptyEndEvent', name: '', incoming: incoming[end], outgoing: '' },
    activities,
    gateways: {},
    flows,
    constants: {},
    outputs: [],
  }
}
