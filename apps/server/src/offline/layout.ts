import type { Dag, DagJob } from './dag.js'

/**
 * How a DAG's jobs are laid out in a tree: one job, jobs one after another, or branches that
 * run in parallel between a parallel and a converge gateway.
 */
export type Layout =
  | { kind: 'empty' }
  | { kind: 'job'; job: DagJob }
  | { kind: 'sequence'; items: Layout[] }
  | { kind: 'parallel'; branches: Layout[] }

const EMPTY: Layout = { kind: 'empty' }

function sequence(items: Layout[]): Layout {
  const flat = items.flatMap((item) =>
    item.kind === 'sequence' ? item.items : item.kind === 'empty' ? [] : [item],
  )
  if (flat.length === 0) return EMPTY
  return flat.length === 1 ? flat[0]! : { kind: 'sequence', items: flat }
}

/**
 * Branches in parallel. A branch without jobs adds no wait beside one with jobs (the join waits
 * for those anyway), so it is dropped.
 */
function parallel(branches: Layout[]): Layout {
  const flat = branches.flatMap((branch) =>
    branch.kind === 'parallel' ? branch.branches : branch.kind === 'empty' ? [] : [branch],
  )
  if (flat.length === 0) return EMPTY
  return flat.length === 1 ? flat[0]! : { kind: 'parallel', branches: flat }
}

interface Edge {
  from: string
  to: string
  layout: Layout
}

const SOURCE = '\u0000source'
const SINK = '\u0000sink'

/**
 * The DAG as nested sequences and parallel branches, when it is series-parallel: every fork is
 * a parallel gateway and every join a converge gateway, and each job waits for exactly the jobs
 * it depends on. Found by reducing the graph (start → jobs → a sink) edge by edge: a job with one
 * way in and one way out joins its edges in sequence, edges between the same two nodes join in
 * parallel; a graph that does not reduce to one edge is not series-parallel (undefined).
 */
export function seriesParallel(dag: Dag): Layout | undefined {
  const jobs = new Map(dag.jobs.map((job) => [job.nodeId, job]))
  let edges: Edge[] = []
  const hasNext = new Set<string>()
  for (const job of dag.jobs) {
    const before = dag.after.get(job.nodeId) ?? []
    if (before.length === 0) edges.push({ from: SOURCE, to: job.nodeId, layout: EMPTY })
    for (const id of before) {
      edges.push({ from: id, to: job.nodeId, layout: EMPTY })
      hasNext.add(id)
    }
  }
  for (const job of dag.jobs) {
    if (!hasNext.has(job.nodeId)) edges.push({ from: job.nodeId, to: SINK, layout: EMPTY })
  }
  if (edges.length === 0) return EMPTY
  for (;;) {
    let changed = false
    const byEnds = new Map<string, Edge[]>()
    for (const edge of edges) {
      const key = `${edge.from}\u0000${edge.to}`
      byEnds.set(key, [...(byEnds.get(key) ?? []), edge])
    }
    if (byEnds.size < edges.length) {
      edges = [...byEnds.values()].map((group) =>
        group.length === 1
          ? group[0]!
          : {
              from: group[0]!.from,
              to: group[0]!.to,
              layout: parallel(group.map((e) => e.layout)),
            },
      )
      changed = true
    }
    for (const [id, job] of jobs) {
      const into = edges.filter((e) => e.to === id)
      const out = edges.filter((e) => e.from === id)
      if (into.length !== 1 || out.length !== 1) continue
      const [a, b] = [into[0]!, out[0]!]
      edges = edges.filter((e) => e !== a && e !== b)
      edges.push({
        from: a.from,
        to: b.to,
        layout: sequence([a.layout, { kind: 'job', job }, b.layout]),
      })
      jobs.delete(id)
      changed = true
    }
    if (edges.length === 1 && edges[0]!.from === SOURCE && edges[0]!.to === SINK) {
      return edges[0]!.layout
    }
    if (!changed) return undefined
  }
}

/** Each job's stage: 1 + the longest chain of jobs it waits for. */
export function stagesOf(dag: Dag): DagJob[][] {
  const depth = new Map<string, number>()
  const depthOf = (id: string): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    const d = 1 + Math.max(0, ...(dag.after.get(id) ?? []).map(depthOf))
    depth.set(id, d)
    return d
  }
  const stages: DagJob[][] = []
  for (const job of dag.jobs) {
    const d = depthOf(job.nodeId)
    while (stages.length < d) stages.push([])
    stages[d - 1]!.push(job)
  }
  return stages.filter((s) => s.length > 0)
}

/**
 * The layout of a DAG: series-parallel when it is; otherwise stage by stage (the jobs of a stage
 * in parallel, each stage after the one before), which keeps every dependency at the cost of
 * some waits a job does not need.
 */
export function layoutOf(dag: Dag): Layout {
  return (
    seriesParallel(dag) ??
    sequence(stagesOf(dag).map((stage) => parallel(stage.map((job) => ({ kind: 'job', job })))))
  )
}
