import { validateTree } from '@culm/tree'
import { expect } from 'vitest'
import { pythonConditional, pythonCorpus, pythonSubprocess } from '../../fixtures/python-builder.js'
import type { Scenario } from '../harness.js'

/** Trees, data and calls exactly as the Python engine and the platform produce them. */
export const compatScenarios: Record<string, Scenario> = {
  'runs every tree the Python builder writes, null names included, to FINISHED': async (h) => {
    for (const [shape, tree] of Object.entries(pythonCorpus())) {
      expect(validateTree(tree).problems, shape).toEqual([])
      const id = await h.run(tree, { keepIds: true })
      const states = await h.states(id)
      expect(states[id], shape).toBe('FINISHED')
      expect(states[tree.start_event.id], shape).toBe('FINISHED')
      expect(states[tree.end_event.id], shape).toBe('FINISHED')
    }
  },

  'takes the branch a Python-built exclusive gateway chooses': async (h) => {
    const { tree, taken, other } = pythonConditional('ExclusiveGateway')
    const id = await h.run(tree, { keepIds: true })
    const states = await h.states(id)
    expect(states[taken]).toBe('FINISHED')
    expect(states[other]).toBeUndefined()
    expect(states[id]).toBe('FINISHED')
  },

  'runs the unnamed nodes of a Python-built subprocess': async (h) => {
    const tree = pythonSubprocess()
    const id = await h.run(tree, { keepIds: true })
    const sub = Object.keys(tree.activities)[0]!
    const inner = (tree.activities[sub] as { pipeline: { activities: Record<string, unknown> } })
      .pipeline
    const [act] = Object.keys(inner.activities)
    expect((await h.state(sub))?.state).toBe('FINISHED')
    expect((await h.state(act!))?.state).toBe('FINISHED')
    expect(await h.outputs(act!)).toMatchObject({ inner: true })
    expect((await h.states(id))[id]).toBe('FINISHED')
  },
}
