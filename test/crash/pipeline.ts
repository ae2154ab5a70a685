import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import type { Component } from '@culm/engine'
import {
  buildTree,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ServiceActivity,
  Var,
} from '@culm/tree'

/** How many activities the crash pipeline has. */
export const ACTIVITY_COUNT = 200

/** The code of the execute-only component whose side effect the crash test counts. */
export const COUNTED_CODE = 'crash_counted_node'

/** One activity of the crash pipeline: its id, its component and its position. */
export interface CrashActivity {
  id: string
  code: typeof COUNTED_CODE | 'debug_node'
  index: number
}

/**
 * The activities of the pipeline `pipelineId` (a `p` and 32 hex digits): ids derived from it, so
 * the test knows them without reading the tree; two in three are counted, every third polls.
 */
export function crashActivities(pipelineId: string): CrashActivity[] {
  const stem = pipelineId.slice(1, 29)
  return Array.from({ length: ACTIVITY_COUNT }, (_, index) => ({
    id: `e${stem}${index.toString(16).padStart(4, '0')}`,
    code: index % 3 === 2 ? 'debug_node' : COUNTED_CODE,
    index,
  }))
}

/** start -> 200 activities -> end, with the id `pipelineId`. */
export function crashTree(pipelineId: string): EngineTree {
  const start = new EmptyStartEvent()
  let tail: EmptyStartEvent | ServiceActivity = start
  for (const activity of crashActivities(pipelineId)) {
    const node = new ServiceActivity({ id: activity.id, componentCode: activity.code })
    node.component.inputs.index = new Var({ type: 'plain', value: activity.index })
    tail = tail.extend(node)
  }
  tail.extend(new EmptyEndEvent())
  return buildTree(start, { id: pipelineId })
}

/** One line of the side-effect log: a node executed for the `run`-th time, by process `pid`. */
export interface LoggedRun {
  nodeId: string
  run: number
  pid: number
}

/** Reads the side-effect log (one JSON line per execute call); a torn last line is ignored. */
export function readRuns(logFile: string): LoggedRun[] {
  if (!existsSync(logFile)) return []
  const runs: LoggedRun[] = []
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (line === '') continue
    try {
      runs.push(JSON.parse(line) as LoggedRun)
    } catch {
      // A write cut by SIGKILL: the call never returned, so it changed nothing else.
    }
  }
  return runs
}

/**
 * An execute-only component that appends one line per call to `logFile` (synchronously, so the
 * line survives a SIGKILL right after) and outputs its node id and the how-many-th run it is.
 * `options.delayMs` slows each call, so that a worker can be killed while it makes progress.
 */
export function countedComponent(
  logFile: string,
  options: { delayMs: () => number; onRun?: (run: LoggedRun) => void },
): Component {
  const runs = new Map<string, number>()
  for (const logged of readRuns(logFile))
    runs.set(logged.nodeId, Math.max(runs.get(logged.nodeId) ?? 0, logged.run))
  return {
    code: COUNTED_CODE,
    name: 'Crash test counted node',
    test: true,
    outputs: [
      { key: 'node_id', type: 'string' },
      { key: 'run', type: 'int' },
    ],
    async execute(data, _parent, controls) {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs()))
      const run = (runs.get(controls.nodeId) ?? 0) + 1
      runs.set(controls.nodeId, run)
      const line: LoggedRun = { nodeId: controls.nodeId, run, pid: process.pid }
      appendFileSync(logFile, `${JSON.stringify(line)}\n`)
      options.onRun?.(line)
      data.setOutput('node_id', controls.nodeId)
      data.setOutput('run', run)
    },
  }
}

/** `start -> debug_node -> poison_node (killerId) -> debug_node -> end`, with the given ids. */
export function poisonTree(pipelineId: string, killerId: string): EngineTree {
  const start = new EmptyStartEvent()
  const killer = new ServiceActivity({ id: killerId, componentCode: 'poison_node' })
  start
    .extend(new ServiceActivity({ componentCode: 'debug_node' }))
    .extend(killer)
    .extend(new ServiceActivity({ componentCode: 'debug_node' }))
    .extend(new EmptyEndEvent())
  return buildTree(start, { id: pipelineId })
}
