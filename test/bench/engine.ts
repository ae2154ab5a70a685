import { performance } from 'node:perf_hooks'
import {
  type ComponentRegistry,
  createEngine,
  type Engine,
  type EngineAPIResult,
  InlineDispatcher,
  MemoryRuntime,
} from '@culm/engine'
import { createTestkitRegistry } from '@culm/plugin-testkit'
import {
  buildTree,
  ConvergeGateway,
  Data,
  type Element,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ExclusiveGateway,
  ParallelGateway,
  ServiceActivity,
  SubProcess,
  Var,
} from '@culm/tree'
import { benchBpmnShape, bpmnEngineVersion } from './bpmn.js'
import { report } from './measure.js'
import {
  BenchRunError,
  expectedTransitions,
  MIXED_LEADING_ACTIVITIES,
  MIXED_PARALLEL_BRANCHES,
  MIXED_SUBPROCESS_ACTIVITIES,
  measureRuns,
  type RunResult,
  SHAPES,
  type Shape,
  type ShapeKey,
  type ShapeMeasurement,
} from './shapes.js'

/** Targets of the engine issue; printed as met or missed, never asserted. */
const TARGET_TRANSITIONS_PER_S = 50_000
const TARGET_SPEEDUP = 20
const TARGET_PER_NODE_RATIO = 1.5

/** Culm warms up for at least this long per shape (at least `shape.warmup` runs as well). */
const CULM_MIN_WARMUP_MS = 3_000

/** Steps the in-process dispatcher runs at once (its default). */
const CONCURRENCY = 8

const debugNode = (): ServiceActivity => new ServiceActivity({ componentCode: 'debug_node' })

/** The pipeline data every shape declares: `${count}` = 2, read by the exclusive gateway. */
const pipelineData = (): Data =>
  new Data({ inputs: { '${count}': new Var({ type: 'plain', value: 2 }) } })

/** start, `activities` debug_nodes in a row, end. */
function sequenceTree(activities: number): EngineTree {
  const start = new EmptyStartEvent()
  let tail: Element = start
  for (let i = 0; i < activities; i++) tail = tail.extend(debugNode())
  tail.extend(new EmptyEndEvent())
  return buildTree(start, { data: pipelineData() })
}

/** start, parallel gateway, `branches` branches of one debug_node, converge gateway, end. */
function parallelTree(branches: number): EngineTree {
  const start = new EmptyStartEvent()
  const pg = start.extend(new ParallelGateway())
  const cg = new ConvergeGateway()
  for (let i = 0; i < branches; i++) pg.extend(debugNode()).extend(cg)
  cg.extend(new EmptyEndEvent())
  return buildTree(start, { data: pipelineData() })
}

/**
 * The 17-node pipeline: start, 5 debug_nodes, a subprocess (start, 2 debug_nodes, end), a
 * 3-branch parallel gateway and its converge gateway, a 2-branch exclusive gateway on `${count}`
 * (the first branch runs) and its converge gateway, end.
 */
export function mixedTree(): EngineTree {
  const start = new EmptyStartEvent()
  let tail: Element = start
  for (let i = 0; i < MIXED_LEADING_ACTIVITIES; i++) tail = tail.extend(debugNode())

  const innerStart = new EmptyStartEvent()
  let inner: Element = innerStart
  for (let i = 0; i < MIXED_SUBPROCESS_ACTIVITIES; i++) inner = inner.extend(debugNode())
  inner.extend(new EmptyEndEvent())
  tail = tail.extend(new SubProcess({ start: innerStart }))

  const pg = tail.extend(new ParallelGateway())
  const pcg = new ConvergeGateway()
  for (let i = 0; i < MIXED_PARALLEL_BRANCHES; i++) pg.extend(debugNode()).extend(pcg)

  const eg = pcg.extend(
    new ExclusiveGateway({ conditions: { 0: '${count} > 1', 1: '${count} <= 1' } }),
  )
  const ecg = new ConvergeGateway()
  eg.extend(debugNode()).extend(ecg)
  eg.extend(debugNode()).extend(ecg)
  ecg.extend(new EmptyEndEvent())
  return buildTree(start, { data: pipelineData() })
}

/** New trees (new ids) for the pipelines of one run of a shape. */
export function treesFor(key: ShapeKey, pipelines: number): EngineTree[] {
  const trees: EngineTree[] = []
  for (let i = 0; i < pipelines; i++) {
    if (key === 'seq1k') trees.push(sequenceTree(1_000))
    else if (key === 'seq10k') trees.push(sequenceTree(10_000))
    else if (key === 'parallel500') trees.push(parallelTree(500))
    else trees.push(mixedTree())
  }
  return trees
}

/** What one Culm run is made of before the clock starts. */
export interface CulmRun {
  trees: EngineTree[]
  engine: Engine
  dispatcher: InlineDispatcher
  transitions: { count: number }
}

/** Fresh trees and a fresh in-memory engine that counts every state change. */
export function prepareCulm(shape: Shape, components: ComponentRegistry): CulmRun {
  const transitions = { count: 0 }
  const dispatcher = new InlineDispatcher({ concurrency: CONCURRENCY })
  const engine = createEngine({
    runtime: new MemoryRuntime(),
    dispatcher,
    components,
    hooks: {
      stateChanged: () => {
        transitions.count++
      },
    },
  })
  return { trees: treesFor(shape.key, shape.pipelines), engine, dispatcher, transitions }
}

/**
 * The timed section of a run: every pipeline is started with `runPipeline` (validation included)
 * and the engine runs until `idle()`.
 */
export async function executeCulm(
  run: CulmRun,
): Promise<{ ms: number; submitMs: number; answers: EngineAPIResult[] }> {
  const { trees, engine } = run
  const started = performance.now()
  const answers = await Promise.all(trees.map((tree) => engine.api.runPipeline({ pipeline: tree })))
  const submitted = performance.now()
  await engine.idle()
  return { ms: performance.now() - started, submitMs: submitted - started, answers }
}

/**
 * Throws unless every runPipeline was accepted, no step threw, every root is FINISHED and at
 * least the expected state changes were seen; a broken engine never prints a fast number.
 */
export async function verifyCulm(
  shape: Shape,
  run: CulmRun,
  answers: EngineAPIResult[],
): Promise<void> {
  const { trees, engine, dispatcher, transitions } = run
  for (const answer of answers) {
    if (!answer.result)
      throw new BenchRunError(`Culm ${shape.key}: runPipeline refused: ${answer.message}`)
  }
  if (dispatcher.errors.length > 0) {
    throw new BenchRunError(`Culm ${shape.key}: a step threw: ${String(dispatcher.errors[0])}`)
  }
  for (const tree of trees) {
    const states = await engine.api.getPipelineStates({ rootId: tree.id })
    const state = states.data?.[tree.id]?.state
    if (state !== 'FINISHED') {
      throw new BenchRunError(
        `Culm ${shape.key}: pipeline ${tree.id} ended ${state ?? 'without a state'}, not FINISHED`,
      )
    }
  }
  const expected = expectedTransitions(shape)
  if (transitions.count < expected) {
    throw new BenchRunError(
      `Culm ${shape.key}: ${transitions.count} state changes, expected ${expected}`,
    )
  }
}

/** One timed run, verified. */
async function runCulm(shape: Shape, run: CulmRun): Promise<RunResult> {
  const { ms, submitMs, answers } = await executeCulm(run)
  await verifyCulm(shape, run, answers)
  return { ms, submitMs, transitions: run.transitions.count }
}

/** Times one shape on Culm and prints its line. */
export async function benchCulmShape(
  shape: Shape,
  components: ComponentRegistry,
): Promise<ShapeMeasurement> {
  const result = await measureRuns(
    () => prepareCulm(shape, components),
    (run) => runCulm(shape, run),
    shape.runs,
    shape.warmup,
    CULM_MIN_WARMUP_MS,
  )
  report('  culm', {
    mean_ms: result.meanMs,
    median_ms: result.medianMs,
    min_ms: result.minMs,
    submit_ms: result.submitMs ?? 0,
    transitions: result.transitions.toString(),
    transitions_per_s: Math.round((result.transitions * 1000) / result.meanMs).toString(),
    us_per_node: (result.meanMs * 1000) / (shape.pipelines * shape.executedNodes),
  })
  return result
}

/** The shape's label and node counts, e.g. `100 pipelines of 17 nodes at once (nodes 100 x 17+4, run 2000)`. */
function shapeTitle(shape: Shape): string {
  const nodes =
    shape.pipelines > 1
      ? `${shape.pipelines} x ${shape.nodes}+${shape.innerNodes}`
      : `${shape.nodes}`
  return `${shape.label} (nodes ${nodes}, run ${shape.pipelines * shape.executedNodes})`
}

const met = (ok: boolean): string => (ok ? 'met' : 'MISSED')

/**
 * The engine benchmark: the four shapes on Culm (in memory) and on bpmn-engine in the same
 * process, the Culm/bpmn-engine ratio per shape and the per-node cost of 10,000 vs 1,000 nodes.
 * Prints; never fails on a missed target (it throws only when a run does not finish).
 */
export async function benchEngine(): Promise<void> {
  console.log(
    '\nengine shapes, Culm in memory (MemoryRuntime + InlineDispatcher, concurrency ' +
      `${CONCURRENCY}) and bpmn-engine ${bpmnEngineVersion()} in the same process, all Culm runs first;` +
      '\n  N runs back to back after warm-up (Culm: at least 3 s per shape), no forced GC: mean_ms = their total / N' +
      '\n    (the sustained figure, every collection included); rates, speedups and per-node costs use mean_ms' +
      '\n  culm: timed from runPipeline (validation included; submit_ms = until every runPipeline answered) to idle();' +
      '\n    transitions = state changes seen by hooks.stateChanged (RUNNING, FINISHED per node, subprocess, root pipeline)' +
      '\n  bpmn-engine: the same shapes as BPMN 2.0 XML, serviceTask calling back at once (on a microtask);' +
      "\n    timed from execute() to 'end' (XML parse and definition load excluded: load_ms); transitions = activity.start + activity.end" +
      '\n  the 17-node shape: 17 top-level nodes (events, activities, gateways incl. converges, the subprocess node)' +
      '\n    + 4 inside the subprocess; 20 of them run (one exclusive branch is not taken)' +
      '\n  us_per_node = mean_ms / nodes run; speedup = bpmn-engine mean / Culm mean',
  )
  const components = createTestkitRegistry()
  const culm = new Map<ShapeKey, ShapeMeasurement>()
  for (const shape of SHAPES) {
    console.log(`culm ${shapeTitle(shape)}`)
    culm.set(shape.key, await benchCulmShape(shape, components))
  }
  const bpmn = new Map<ShapeKey, ShapeMeasurement>()
  for (const shape of SHAPES) {
    console.log(`bpmn-engine ${shapeTitle(shape)}`)
    bpmn.set(shape.key, await benchBpmnShape(shape))
  }

  const speedups = new Map<ShapeKey, number>()
  for (const shape of SHAPES) {
    const ours = culm.get(shape.key)!
    const theirs = bpmn.get(shape.key)!
    const speedup = theirs.meanMs / ours.meanMs
    speedups.set(shape.key, speedup)
    report(`culm/bpmn-engine ${shape.label}`, {
      culm_ms: ours.meanMs,
      bpmn_ms: theirs.meanMs,
      speedup: `${speedup.toFixed(2)}x`,
    })
  }

  const perNode = (key: ShapeKey): number =>
    culm.get(key)!.meanMs / SHAPES.find((s) => s.key === key)!.executedNodes
  const perNodeRatio = perNode('seq10k') / perNode('seq1k')
  report('culm per-node cost 10,000 / 1,000', {
    us_per_node_1k: perNode('seq1k') * 1000,
    us_per_node_10k: perNode('seq10k') * 1000,
    ratio: perNodeRatio,
  })

  console.log('targets (reported, not asserted)')
  for (const shape of SHAPES) {
    const result = culm.get(shape.key)!
    const rate = (result.transitions * 1000) / result.meanMs
    console.log(
      `  ${met(rate >= TARGET_TRANSITIONS_PER_S).padEnd(6)} culm >= ${TARGET_TRANSITIONS_PER_S} transitions/s, ${shape.label}: ${Math.round(rate)}`,
    )
  }
  for (const shape of SHAPES) {
    const speedup = speedups.get(shape.key)!
    console.log(
      `  ${met(speedup >= TARGET_SPEEDUP).padEnd(6)} culm >= ${TARGET_SPEEDUP}x bpmn-engine, ${shape.label}: ${speedup.toFixed(2)}x`,
    )
  }
  console.log(
    `  ${met(perNodeRatio <= TARGET_PER_NODE_RATIO).padEnd(6)} culm per-node cost of 10,000 within ${TARGET_PER_NODE_RATIO}x of 1,000: ${perNodeRatio.toFixed(2)}x`,
  )
}
