import { createEngine } from '@culm/engine'
import { createTestkitRegistry } from '@culm/plugin-testkit'
import { maskUrl, openRuntimeFromEnv } from '@culm/store'
import { runDemo } from './demo.js'

const { tree, problems, branches } = runDemo()
console.log(JSON.stringify(tree, null, 2))
console.log(
  problems.length === 0 ? 'The tree is valid.' : `The tree has ${problems.length} problems:`,
)
for (const problem of problems) console.log(`  ${problem.kind} ${problem.code}: ${problem.message}`)
for (const { bk_timing, branch } of branches) {
  console.log(`With bk_timing = ${bk_timing} the exclusive gateway takes: ${branch}`)
}

const url = process.env.CULM_DATABASE_URL ?? 'sqlite:./.culm/culm.db'
const store = await openRuntimeFromEnv()
try {
  const engine = createEngine({ runtime: store.runtime, components: createTestkitRegistry() })
  const recovered = await engine.recover()
  console.log(
    `Database ${maskUrl(url)}: ${recovered.processes} processes and ${recovered.schedules} schedules picked up.`,
  )
  const started = await engine.api.runPipeline({ pipeline: tree })
  if (!started.result) throw new TypeError(started.message)
  const rootId = started.data!.pipeline_id
  for (;;) {
    await engine.idle()
    const states = await engine.api.getPipelineStates({ rootId })
    const root = states.data?.[rootId]
    if (root && root.state !== 'RUNNING') {
      console.log(
        `Pipeline ${rootId} ran on the engine: ${root.state}, ${Object.keys(root.children).length} node states.`,
      )
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
} finally {
  await store.close()
}
