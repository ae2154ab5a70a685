import { performance } from 'node:perf_hooks'

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

/** The runs of a shape: the median and best run, and the mean over all of them. */
export interface ShapeMeasurement {
  runs: number
  medianMs: number
  minMs: number
  /**
   * Total time of the timed runs over their number. The runs go back to back, so this is the
   * sustained figure: every garbage collection a run leaves behind is paid by a later one.
   */
  meanMs: number
  /** Submit time of the median run, when the side reports it. */
  submitMs: number | undefined
  /** Untimed preparation of the median run, when the side reports it. */
  loadMs: number | undefined
  transitions: number
}

/**
 * Runs a shape `warmup` times unmeasured (and for at least `minWarmupMs`: a small shape takes a
 * dozen runs before its code is hot), then `runs` times back to back, and reports the median
 * run and the mean. Each run is `prepare` (trees, engines, parsing: untimed), then `timed`, which
 * returns the time of its own timed section.
 *
 * No garbage collection is forced between runs, on purpose: a forced full collection frees the
 * hidden classes of the run before, which throws away the optimised code built on them and makes
 * every run compile it again, a cost a long-running engine never pays. Garbage a run leaves is
 * collected during the runs that follow, and the mean includes it.
 */
export async function measureRuns<T>(
  prepare: () => T | Promise<T>,
  timed: (prepared: T) => Promise<RunResult>,
  runs: number,
  warmup: number,
  minWarmupMs = 0,
): Promise<ShapeMeasurement> {
  const once = async (): Promise<RunResult> => timed(await prepare())
  const warming = performance.now()
  const warm = (i: number): boolean => i < warmup || performance.now() - warming < minWarmupMs
  for (let i = 0; warm(i); i++) await once()
  const results: RunResult[] = []
  for (let i = 0; i < runs; i++) results.push(await once())
  const meanMs = results.reduce((sum, result) => sum + result.ms, 0) / results.length
  results.sort((a, b) => a.ms - b.ms)
  const median = results[Math.floor(results.length / 2)]!
  return {
    runs,
    medianMs: median.ms,
    minMs: results[0]!.ms,
    meanMs,
    submitMs: median.submitMs,
    loadMs: median.loadMs,
    transitions: median.transitions,
  }
}

/** A benchmark run that did not finish as it must: the engine is broken, so no number is printed. */
export class BenchRunError extends Error {
  override name = 'BenchRunError'
}
