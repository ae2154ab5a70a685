import type { Scenario } from '../harness.js'
import { apiScenarios } from './api.js'
import { compatScenarios } from './compat.js'
import { containmentScenarios } from './containment.js'
import { controlScenarios } from './control.js'
import { executionScenarios } from './execution.js'
import { flowScenarios } from './flow.js'
import { loopScenarios } from './loops.js'

/** Every conformance scenario, by name. */
export const scenarios: Record<string, Scenario> = {
  ...flowScenarios,
  ...controlScenarios,
  ...apiScenarios,
  ...loopScenarios,
  ...executionScenarios,
  ...compatScenarios,
  ...containmentScenarios,
}
