import { performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * The pipeline shapes the engine benchmark runs on Culm and on bpmn-engine, and the async timing
 * helper both sides share.
 *
 * Node counts: every start and end event, activity, gateway (converge/join gateways included)
 * and subprocess node is one node. The nodes inside a subprocess (its own start, activities and
 * end) are counted separately as `inner` nodes. A node of an exclusive branch that is not taken
 * never runs and is not counted as executed.
 */

/** The shapes, in the order they are printed. */
export type ShapeKey = 'seq1k' | 'seq10k' | 'parallel500' | 'mixed17x100'

/** One shape: what it is, how many pipelines run at once, and how many nodes run. */
export interface Shape {
  key: ShapeKey
  label: string
  /** Pipelines started at once (each a fresh tree with new ids). */
  pipelines: number
  /** Top-level nodes of one pipeline (events, activities, gateways, subprocess nodes). */
  nodes: number
  /** Nodes inside subprocesses of one pipeline (their events and activities). */
  innerNodes: number
  /** Nodes of one pipeline that run (top-level and inner; untaken exclusive branches excluded). */
  executedNodes: number
  /** Activities (debug_node / serviceTask) of one pipeline that run. */
  executedActivities: number
  /** Timed Culm runs, after `warmup` unmeasured ones (bpmn-engine has its own counts). */
  runs: number
  warmup: number
}

/** The `debug_node` activities of the 17-node pipeline before its subprocess. */
export const MIXED_LEADING_ACTIVITIES = 5
/** The branches of the 17-node pipeline's parallel gateway. */
export const MIXED_PARALLEL_BRANCHES = 3
/** The activities inside the 17-node pipeline's subprocess. */
export const MIXED_SUBPROCESS_ACTIVITIES = 2

export const SHAPES: readonly Shape[] = [
  {
    key: 'seq1k',
    label: 'sequence of 1,000 activities',
    pipelines: 1,
    nodes: 1_002,
    innerNodes: 0,
    executedNodes: 1_002,
    executedActivities: 1_000,
    runs: 15,
    warmup: 3,
  },
  {
    key: 'seq10k',
    label: 'sequence of 10,000 activities',
    pipelines: 1,
    nodes: 10_002,
    innerNodes: 0,
    executedNodes: 10_002,
    executedActivities: 10_000,
    runs: 5,
    warmup: 2,
  },
  {
    key: 'parallel500',
    label: 'parallel gateway of 500 branches',
    pipelines: 1,
    // start, parallel gateway, 500 activities, converge gateway, end
    nodes: 504,
    innerNodes: 0,
    executedNodes: 504,
    executedActivities: 500,
    runs: 15,
    warmup: 3,
  },
  {
    key: 'mixed17x100',
    label: '100 pipelines of 17 nodes at once',
    pipelines: 100,
    // start, 5 activities, subprocess, parallel gateway, 3 activities, converge gateway,
    // exclusive gateway, 2 activities, converge gateway, end = 17
    nodes: 17,
    // the subprocess: start, 2 activities, end
    innerNodes: 4,
    // 17 - 1 untaken exclusive branch + 4 inner
    executedNodes: 20,
    // 5 + 3 + 1 + 2 inner
    executedActivities: 11,
    runs: 11,
    warmup: 3,
  },
]

/** Node state changes one run of a shape makes: RUNNING and FINISHED per node and per pipeline. */
export function expectedTransitions(shape: Shape): number {
  return shape.pipelines * (2 * shape.executedNodes + 2)
}

/** One timed run: wall time and the state changes (or events) counted during it. */
export interface RunResult {
  ms: number
  /** Time until every pipeline was accepted (validated and started). */
  submitMs?: number
  /** Untimed preparation the side reports (bpmn-engine: XML parse and definition load). */
  loadMs?: number
  transitions: number
}

/** The median run of a shape (by wall time) and the best time. */
export interface ShapeMeasurement {
  runs: number
  medianMs: number
  minMs: number
  /** Submit time of the median run, when the side reports it. */
  submitMs: number | undefined
  /** Untimed preparation of the median run, when the side reports it. */
  loadMs: number | undefined
  transitions: number
}

/** A full garbage collection (`--expose-gc` switched on at run time when node was not started with it). */
const collectGarbage: () => void = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) return exposed
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

/**
 * Runs a shape `warmup` times unmeasured (and for at least `minWarmupMs`: a small shape takes a
 * dozen runs before its code is hot), then `runs` times, and reports the median run. Each run
 * is `prepare` (trees, engines, parsing: untimed), a full garbage collection, so that no run pays
 * for the garbage of the one before (or of the other engine), and `timed`, which returns the time
 * of its own timed section.
 */
export async function measureRuns<T>(
  prepare: () => T | Promise<T>,
  timed: (prepared: T) => Promise<RunResult>,
  runs: number,
  warmup: number,
  minWarmupMs = 0,
): Promise<ShapeMeasurement> {
  const once = async (): Promise<RunResult> => {
    const prepared = await prepare()
    collectGarbage()
    return timed(prepared)
  }
  const warming = performance.now()
  const warm = (i: number): boolean => i < warmup || performance.now() - warming < minWarmupMs
  for (let i = 0; warm(i); i++) await once()
  const results: RunResult[] = []
  for (let i = 0; i < runs; i++) results.push(await once())
  results.sort((a, b) => a.ms - b.ms)
  const median = results[Math.floor(results.length / 2)]!
  return {
    runs,
    medianMs: median.ms,
    minMs: results[0]!.ms,
    submitMs: median.submitMs,
    loadMs: median.loadMs,
    transitions: median.transitions,
  }
}

/** A benchmark run that did not finish as it must: the engine is broken, so no number is printed. */
export class BenchRunError extends Error {
  override name = 'BenchRunError'
}
