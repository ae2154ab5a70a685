import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Engine } from 'bpmn-engine'
import { report } from './measure.js'
import {
  BenchRunError,
  MIXED_LEADING_ACTIVITIES,
  MIXED_PARALLEL_BRANCHES,
  MIXED_SUBPROCESS_ACTIVITIES,
  measureRuns,
  type RunResult,
  type Shape,
  type ShapeKey,
  type ShapeMeasurement,
} from './shapes.js'

/**
 * The same shapes as BPMN 2.0 XML for bpmn-engine. An activity is a serviceTask whose service
 * calls back at once (on a microtask: a synchronous callback overflows bpmn-engine's stack on a
 * sequence of 1,000 tasks); a Culm converge gateway is a parallelGateway join after a parallel
 * fork and an exclusiveGateway merge after an exclusive split; the exclusive conditions call
 * services on the `count` variable (2), as Culm's gateway reads `${count}`.
 */

/** Runs per shape on bpmn-engine, fewer than Culm's where a run takes seconds. */
const BPMN_RUNS: Record<ShapeKey, { runs: number; warmup: number }> = {
  seq1k: { runs: 3, warmup: 1 },
  seq10k: { runs: 1, warmup: 0 },
  parallel500: { runs: 3, warmup: 1 },
  mixed17x100: { runs: 3, warmup: 1 },
}

/** Id of the exclusive branch that must not run. */
const UNTAKEN = 'x_small'

const HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="bench" targetNamespace="http://culm/bench">\n' +
  '<process id="pipeline" isExecutable="true">\n'
const TAIL = '</process>\n</definitions>\n'

/** Collects the elements and flows of a BPMN process (or subprocess) body. */
class Body {
  readonly lines: string[] = []
  #flows = 0

  constructor(readonly prefix: string) {}

  node(xml: string): void {
    this.lines.push(xml)
  }

  task(id: string): string {
    this.lines.push(`<serviceTask id="${id}" implementation="\${environment.services.noop}" />`)
    return id
  }

  flow(from: string, to: string, condition?: string): void {
    const id = `${this.prefix}f${this.#flows++}`
    if (condition === undefined) {
      this.lines.push(`<sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}" />`)
    } else {
      this.lines.push(
        `<sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}">` +
          `<conditionExpression xsi:type="tFormalExpression">${condition}</conditionExpression>` +
          '</sequenceFlow>',
      )
    }
  }

  toString(): string {
    return this.lines.join('\n')
  }
}

function sequenceXml(activities: number): string {
  const body = new Body('')
  body.node('<startEvent id="start" />')
  let tail = 'start'
  for (let i = 0; i < activities; i++) {
    const task = body.task(`t${i}`)
    body.flow(tail, task)
    tail = task
  }
  body.node('<endEvent id="end" />')
  body.flow(tail, 'end')
  return `${HEAD}${body}\n${TAIL}`
}

function parallelXml(branches: number): string {
  const body = new Body('')
  body.node('<startEvent id="start" />')
  body.node('<parallelGateway id="fork" />')
  body.node('<parallelGateway id="join" />')
  body.node('<endEvent id="end" />')
  body.flow('start', 'fork')
  for (let i = 0; i < branches; i++) {
    const task = body.task(`t${i}`)
    body.flow('fork', task)
    body.flow(task, 'join')
  }
  body.flow('join', 'end')
  return `${HEAD}${body}\n${TAIL}`
}

/** The 17-node pipeline of `engine.ts` node for node. */
function mixedXml(): string {
  const body = new Body('')
  body.node('<startEvent id="start" />')
  let tail = 'start'
  for (let i = 0; i < MIXED_LEADING_ACTIVITIES; i++) {
    const task = body.task(`a${i}`)
    body.flow(tail, task)
    tail = task
  }

  const inner = new Body('s')
  inner.node('<startEvent id="sub_start" />')
  let innerTail = 'sub_start'
  for (let i = 0; i < MIXED_SUBPROCESS_ACTIVITIES; i++) {
    const task = inner.task(`s${i}`)
    inner.flow(innerTail, task)
    innerTail = task
  }
  inner.node('<endEvent id="sub_end" />')
  inner.flow(innerTail, 'sub_end')
  body.node(`<subProcess id="sub">\n${inner}\n</subProcess>`)
  body.flow(tail, 'sub')

  body.node('<parallelGateway id="fork" />')
  body.node('<parallelGateway id="join" />')
  body.flow('sub', 'fork')
  for (let i = 0; i < MIXED_PARALLEL_BRANCHES; i++) {
    const task = body.task(`p${i}`)
    body.flow('fork', task)
    body.flow(task, 'join')
  }

  body.node('<exclusiveGateway id="choose" />')
  body.node('<exclusiveGateway id="merge" />')
  body.flow('join', 'choose')
  body.task('x_big')
  body.task(UNTAKEN)
  body.flow('choose', 'x_big', '${environment.services.gt(environment.variables.count,1)}')
  body.flow('choose', UNTAKEN, '${environment.services.lte(environment.variables.count,1)}')
  body.flow('x_big', 'merge')
  body.flow(UNTAKEN, 'merge')
  body.node('<endEvent id="end" />')
  body.flow('merge', 'end')
  return `${HEAD}${body}\n${TAIL}`
}

function sourceFor(key: ShapeKey): string {
  if (key === 'seq1k') return sequenceXml(1_000)
  if (key === 'seq10k') return sequenceXml(10_000)
  if (key === 'parallel500') return parallelXml(500)
  return mixedXml()
}

const services = {
  noop(_context: unknown, next: (error?: Error | null) => void): void {
    queueMicrotask(() => next())
  },
  gt: (a: unknown, b: unknown): boolean => Number(a) > Number(b),
  lte: (a: unknown, b: unknown): boolean => Number(a) <= Number(b),
}

/** bpmn-engine's default logger makes a `debug` logger per element; this one does nothing. */
const silent = () => ({ debug() {}, error() {}, warn() {} })

/** What one bpmn-engine run is made of before the clock starts. */
interface BpmnRun {
  engines: Engine[]
  listener: EventEmitter
  counts: { transitions: number; untakenRan: boolean }
  loadMs: number
}

/** One bpmn-engine Engine per pipeline, loaded (XML parsed, definitions built), and a listener that counts. */
async function prepareBpmn(shape: Shape, source: string): Promise<BpmnRun> {
  const counts = { transitions: 0, untakenRan: false }
  const listener = new EventEmitter()
  listener.on('activity.start', () => {
    counts.transitions++
  })
  listener.on('activity.end', (api: { id: string }) => {
    counts.transitions++
    if (api.id === UNTAKEN) counts.untakenRan = true
  })
  const loading = performance.now()
  const engines: Engine[] = []
  for (let i = 0; i < shape.pipelines; i++) {
    engines.push(
      new Engine({
        name: `${shape.key}-${i}`,
        source,
        services,
        variables: { count: 2 },
        Logger: silent,
      }),
    )
  }
  await Promise.all(engines.map((engine) => engine.getDefinitions()))
  return { engines, listener, counts, loadMs: performance.now() - loading }
}

/**
 * One timed run: `execute()` of every engine up to every 'end'. Throws if an engine errors, an
 * activity ran that must not, or fewer activity events than expected were seen.
 */
async function runBpmn(shape: Shape, run: BpmnRun): Promise<RunResult> {
  const { engines, listener, counts, loadMs } = run
  const started = performance.now()
  await Promise.all(
    engines.map(async (engine) => {
      const ended = new Promise<void>((resolve, reject) => {
        engine.once('end', () => resolve())
        engine.once('error', (error: unknown) => reject(error))
      })
      await engine.execute({ listener })
      await ended
    }),
  )
  const ms = performance.now() - started

  if (counts.untakenRan) {
    throw new BenchRunError(`bpmn-engine ${shape.key}: the untaken exclusive branch ran`)
  }
  const expected = 2 * shape.pipelines * shape.executedNodes
  if (counts.transitions < expected) {
    throw new BenchRunError(
      `bpmn-engine ${shape.key}: ${counts.transitions} activity events, expected ${expected}`,
    )
  }
  return { ms, loadMs, transitions: counts.transitions }
}

/** The installed bpmn-engine version. */
export function bpmnEngineVersion(): string {
  let dir = fileURLToPath(new URL('.', import.meta.resolve('bpmn-engine')))
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'bpmn-engine') return pkg.version ?? 'unknown'
    } catch {
      // no package.json here; look one level up
    }
    dir = `${dir}/..`
  }
  return 'unknown'
}

/** Times one shape on bpmn-engine and prints its line. */
export async function benchBpmnShape(shape: Shape): Promise<ShapeMeasurement> {
  const source = sourceFor(shape.key)
  const { runs, warmup } = BPMN_RUNS[shape.key]
  const result = await measureRuns(
    () => prepareBpmn(shape, source),
    (run) => runBpmn(shape, run),
    runs,
    warmup,
  )
  report(`  bpmn-engine`, {
    mean_ms: result.meanMs,
    median_ms: result.medianMs,
    min_ms: result.minMs,
    load_ms: result.loadMs ?? 0,
    transitions: result.transitions.toString(),
    transitions_per_s: Math.round((result.transitions * 1000) / result.meanMs).toString(),
    us_per_node: (result.meanMs * 1000) / (shape.pipelines * shape.executedNodes),
  })
  return result
}
