import { describe, expect, it } from 'vitest'
import { callsToFault, differences, type Outcome, runScenario, SCENARIOS } from './scenarios.js'

const baselines = await Promise.all(
  SCENARIOS.map(async (scenario) => {
    const { outcome, runtime } = await runScenario(scenario)
    return { scenario, outcome, counts: [...runtime.counts].sort(([a], [b]) => a.localeCompare(b)) }
  }),
)

for (const { scenario, outcome: expected, counts } of baselines) {
  describe.concurrent(`${scenario.title} under injected storage faults`, () => {
    it(`${scenario.title} runs to its end without faults and calls its components`, () => {
      expect(Object.keys(expected.calls).length).toBeGreaterThan(0)
      expect(Object.values(expected.states)).not.toContain('FAILED')
    })

    for (const [method, total] of counts) {
      const keys: Array<keyof Outcome> = ['states', 'outputs', 'pipelineOutputs', 'calls']
      const ns = callsToFault(total)
      it(`${scenario.title} ends as without faults and calls each component as often when ${method} throws before or after its call ${ns.join(', ')} of ${total}`, async () => {
        const mismatches: string[] = []
        for (const n of ns) {
          for (const when of ['before', 'after'] as const) {
            const label = `${method} ${when} call ${n}`
            try {
              const { outcome, runtime, errors } = await runScenario(scenario, { method, n, when })
              if (!runtime.fired) mismatches.push(`${label}: the fault never fired`)
              if (errors.length > 0)
                mismatches.push(`${label}: dispatcher errors ${errors.join('; ')}`)
              for (const diff of differences(expected, outcome, keys))
                mismatches.push(`${label}: ${diff}`)
            } catch (error) {
              mismatches.push(`${label}: ${error instanceof Error ? error.message : String(error)}`)
            }
          }
        }
        expect(mismatches).toEqual([])
      })
    }
  })
}
