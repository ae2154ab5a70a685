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
