/** The Python engine's exception names, used as the `kind` of a validation problem. */
export const PROBLEM_KINDS = [
  'TreeInvalidException',
  'ConnectionValidateError',
  'ConvergeMatchError',
  'StreamValidateError',
  'IsolateNodeError',
  'StartPositionInvalidException',
] as const
export type ProblemKind = (typeof PROBLEM_KINDS)[number]

/** Every problem the validator can report, one code per rule. */
export const PROBLEM_CODES = [
  'NOT_AN_OBJECT',
  'SCHEMA',
  'DUPLICATE_ID',
  'KEY_MISMATCH',
  'UNKNOWN_NODE_TYPE',
  'FLOW_SOURCE_MISSING',
  'FLOW_TARGET_MISSING',
  'FLOW_MISSING',
  'FLOW_NOT_LINKED',
  'SUBPROCESS_ID_MISMATCH',
  'TARGET_NOT_ALLOWED',
  'IN_DEGREE',
  'OUT_DEGREE',
  'CYCLE',
  'GATEWAY_UNREACHABLE',
  'CONVERGE_MIXED_PARALLEL',
  'CONVERGE_INCOMPLETE',
  'EXCLUSIVE_CONVERGE_MISMATCH',
  'BRANCH_NOT_CONVERGED',
  'ILLEGAL_GATEWAY',
  'STREAM_CONFLICT',
  'UNREACHABLE_NODE',
  'CONDITION_MISSING',
  'CONDITION_UNKNOWN_FLOW',
  'CONDITION_EMPTY',
  'DEFAULT_FLOW_INVALID',
  'UNKNOWN_COMPONENT',
  'UNKNOWN_CONSTANT',
  'EXPRESSION_TOO_LARGE',
  'TREE_TOO_DEEP',
  'START_POSITION_INVALID',
] as const
export type ProblemCode = (typeof PROBLEM_CODES)[number]

/** One thing wrong with a tree. */
export interface Problem {
  kind: ProblemKind
  code: ProblemCode
  message: string
  /**
   * `warning`: reported, but the tree is valid and runs (a `${key}` that names no constant is
   * rendered as its literal text, as the Python engine does). Absent for every refusing problem.
   */
  severity?: 'warning'

  nodeId?: string
  flowId?: string
  /** The id of the subprocess whose tree holds the problem, when it is not the root tree. */
  pipelineId?: string
  /** Where in the JSON the problem is, for schema problems. */
  path?: string
}

/** The codes of the errors this package throws. */
export const TREE_ERROR_CODES = ['TREE_INVALID', 'BUILDER_INVALID'] as const
export type TreeErrorCode = (typeof TREE_ERROR_CODES)[number]

/** A tree that cannot be used; `problems` lists every reason. */
export class TreeInvalidError extends Error {
  override readonly name = 'TreeInvalidError'
  readonly code: TreeErrorCode = 'TREE_INVALID'
  readonly problems: Problem[]

  constructor(problems: Problem[], options?: { cause?: unknown }) {
    const first = problems[0]?.message ?? 'the tree is invalid'
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''
    super(`${first}${more}`, options)
    this.problems = problems
  }
}

/** Elements handed to the builder that do not make a tree. */
export class BuilderError extends Error {
  override readonly name = 'BuilderError'
  readonly code: TreeErrorCode = 'BUILDER_INVALID'
  readonly nodeId: string | undefined

  constructor(message: string, options?: { nodeId?: string; cause?: unknown }) {
    super(message, { cause: options?.cause })
    this.nodeId = options?.nodeId
  }
}
