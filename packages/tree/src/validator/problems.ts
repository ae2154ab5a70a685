import type { Problem, ProblemCode, ProblemKind } from '../errors.js'

/** Collects the problems of one validation run, each once. */
export class ProblemList {
  readonly items: Problem[] = []
  #seen = new Set<string>()
  #pipelineId: string | undefined

  constructor(pipelineId?: string) {
    this.#pipelineId = pipelineId
  }

  /** The list the problems of a subprocess's tree go to; they are tagged with its id. */
  forSubprocess(pipelineId: string): ProblemList {
    const child = new ProblemList(pipelineId)
    child.#seen = this.#seen
    ;(child as { items: Problem[] }).items = this.items
    return child
  }

  add(
    kind: ProblemKind,
    code: ProblemCode,
    message: string,
    where: { nodeId?: string; flowId?: string; path?: string; warning?: boolean } = {},
  ): void {
    const key = `${this.#pipelineId ?? ''}|${code}|${where.nodeId ?? ''}|${where.flowId ?? ''}|${where.path ?? ''}`
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    const problem: Problem = { kind, code, message }
    if (where.nodeId !== undefined) problem.nodeId = where.nodeId
    if (where.flowId !== undefined) problem.flowId = where.flowId
    if (where.path !== undefined) problem.path = where.path
    if (this.#pipelineId !== undefined) problem.pipelineId = this.#pipelineId
    if (where.warning) problem.severity = 'warning'
    this.items.push(problem)
  }

  /** Whether a problem with one of these codes was reported for this tree. */
  has(...codes: ProblemCode[]): boolean {
    return this.items.some((p) => p.pipelineId === this.#pipelineId && codes.includes(p.code))
  }

  get count(): number {
    return this.items.filter((p) => p.pipelineId === this.#pipelineId).length
  }
}
