export { type BuildOptions, buildTree } from './builder/build-tree.js'
export {
  Data,
  DataInput,
  InitializedRewritableNodeOutput,
  NodeOutput,
  Params,
  RewritableNodeOutput,
  Var,
} from './builder/data.js'
export {
  ConditionalParallelGateway,
  ConvergeGateway,
  Element,
  type ElementOptions,
  EmptyEndEvent,
  EmptyStartEvent,
  ExclusiveGateway,
  ExecutableEndEvent,
  ParallelGateway,
  ServiceActivity,
  type ServiceActivityOptions,
  SubProcess,
} from './builder/elements.js'
export { type Dialect, dialectOf } from './dialect.js'
export {
  BuilderError,
  PROBLEM_CODES,
  PROBLEM_KINDS,
  type Problem,
  type ProblemCode,
  type ProblemKind,
  TreeInvalidError,
} from './errors.js'
/** The size a tree's expressions may have, and the check of one expression against it. */
export { EXPRESSION_LIMITS, expressionSizeProblem } from './expression-limits.js'
export { flowList, recordKeys, recordValues, withRecordCache } from './graph.js'
export { platformId, uniqueId } from './ids.js'
export { type ReplacedIds, replaceIds } from './replace-ids.js'
export { pipelineTreeSchema } from './schema.js'
export { templateReferences, valueReferences } from './template-refs.js'
export { type ToEngineTreeOptions, toEngineTree } from './to-engine-tree.js'
export * from './types.js'
export type { ComponentLookup } from './validator/semantics.js'
export { SYSTEM_VARIABLES } from './validator/semantics.js'
export { allowedStartNodeIds, checkStartNode } from './validator/start-position.js'
export {
  checkTreeReadable,
  type ValidateOptions,
  type ValidationResult,
  validateTree,
} from './validator/validate.js'
