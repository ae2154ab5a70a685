/**
 * Profiles Culm on one shape of the engine benchmark with V8's CPU profiler (the one behind
 * `node --cpu-prof`), started and stopped around the timed sections only: trees and engines are
 * prepared first, the runs then go back to back, and the checks come after the profile. Prints the
 * functions with the most self time, mapped to their TypeScript sources, and writes the
 * `.cpuprofile` (open it in Chrome DevTools).
 *
 * @example
 * // from /work/main/test after a build
 * node dist/bench/profile.js seq10k 5
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { findSourceMap } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

// Source maps are recorded only for modules loaded after this, hence the dynamic imports below.
process.setSourceMapsEnabled(true)
const { createTestkitRegistry } = await import('@culm/plugin-testkit')
const { executeCulm, prepareCulm, verifyCulm } = await import('./engine.js')
const { SHAPES } = await import('./shapes.js')

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>
  samples: number[]
  timeDeltas: number[]
}

/** `name file:line` of a frame, in the TypeScript source when the file has a source map. */
function where(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)'
  let file = frame.url
  let line = frame.lineNumber + 1
  if (file.startsWith('file:')) {
    const entry = findSourceMap(fileURLToPath(file))?.findEntry(
      frame.lineNumber,
      frame.columnNumber,
    )
    if (entry && 'originalSource' in entry) {
      file = entry.originalSource
      line = entry.originalLine + 1
    }
    file = file.replace(/^file:\/\/.*?\/(packages|plugins|test|node_modules|apps)\//, '$1/')
  }
  return `${name} ${file}:${line}`
}

/** Prints the `limit` functions with the most self time. */
function top(profile: CpuProfile, limit: number): void {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0
    total += delta
    const frame = frames.get(id)
    if (!frame) return
    const key = where(frame)
    self.set(key, (self.get(key) ?? 0) + delta)
  })
  console.log('self ms   share  function (source:line)')
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    const ms = (micros / 1000).toFixed(1).padStart(7)
    const share = ((100 * micros) / total).toFixed(1).padStart(5)
    console.log(`${ms} ${share}%  ${key}`)
  }
  console.log(`total ${(total / 1000).toFixed(0)} ms sampled`)
}

const [key = 'seq10k', runsArg = '5', limitArg = '30'] = process.argv.slice(2)
const shape = SHAPES.find((s) => s.key === key)
if (!shape) {
  console.error(`unknown shape ${key}; one of ${SHAPES.map((s) => s.key).join(', ')}`)
  process.exit(2)
}
const components = createTestkitRegistry()
for (let i = 0; i < 2; i++) {
  const warm = prepareCulm(shape, components)
  await verifyCulm(shape, warm, (await executeCulm(warm)).answers)
}
const runs = Array.from({ length: Number(runsArg) }, () => prepareCulm(shape, components))

const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 100 })
await session.post('Profiler.start')
const started = performance.now()
const answers = []
for (const run of runs) answers.push((await executeCulm(run)).answers)
const ms = performance.now() - started
const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile }
session.disconnect()

let transitions = 0
for (const [i, run] of runs.entries()) {
  await verifyCulm(shape, run, answers[i]!)
  transitions += run.transitions.count
}
const file = join(tmpdir(), `culm-${shape.key}-${Date.now()}.cpuprofile`)
writeFileSync(file, JSON.stringify(profile))
console.log(
  `${shape.key}: ${runs.length} runs in ${ms.toFixed(0)} ms, ${Math.round((transitions * 1000) / ms)} transitions/s; profile ${file}`,
)
top(profile, Number(limitArg))
