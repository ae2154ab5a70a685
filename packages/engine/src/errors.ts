/** The codes of the errors the engine throws internally; the API turns them into messages. */
export const ENGINE_ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_OPERATION',
  'VERSION_MISMATCH',
  'TREE_INVALID',
  'STATE_TRANSITION',
  'COMPONENT_NOT_FOUND',
  'INTERRUPTED',
] as const
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number]

/** Base class of the engine's errors; `code` tells them apart across realms. */
export class EngineError extends Error {
  override readonly name: string = 'EngineError'
  readonly code: EngineErrorCode

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** A node, pipeline, process or record that does not exist. */
export class NotFoundError extends EngineError {
  override readonly name = 'NotFoundError'
  constructor(message: string) {
    super('NOT_FOUND', message)
  }
}

/** An operation refused in the current state. */
export class InvalidOperationError extends EngineError {
  override readonly name = 'InvalidOperationError'
  constructor(message: string) {
    super('INVALID_OPERATION', message)
  }
}

/** A state write whose expected version is no longer the node's version; nothing was changed. */
export class VersionMismatchError extends EngineError {
  override readonly name = 'StateVersionNotMatchError'
  readonly nodeId: string

  constructor(nodeId: string, expected: string, actual: string) {
    super(
      'VERSION_MISMATCH',
      `node(${nodeId}) version ${expected} does not match current ${actual}`,
    )
    this.nodeId = nodeId
  }
}

/** A transition the state table does not allow. */
export class StateTransitionError extends EngineError {
  override readonly name = 'StateTransitionError'
  constructor(nodeId: string, from: string, to: string) {
    super('STATE_TRANSITION', `can't not transit node(${nodeId}) state from ${from} to ${to}`)
  }
}

/** A tree the validator refused; `problems` lists every reason. */
export class TreeInvalidEngineError extends EngineError {
  override readonly name = 'TreeInvalidException'
  readonly problems: ReadonlyArray<{ kind: string; code: string; message: string }>

  constructor(problems: ReadonlyArray<{ kind: string; code: string; message: string }>) {
    super('TREE_INVALID', problems.map((p) => `${p.kind}: ${p.message}`).join('; '))
    this.problems = problems
  }
}

/** A component code and version not in the registry. */
export class ComponentNotFoundError extends EngineError {
  override readonly name = 'ComponentNotExistException'
  constructor(code: string, version: string) {
    super('COMPONENT_NOT_FOUND', `component(${code}) version(${version}) does not exist`)
  }
}

/**
 * A storage failure that rolled a step back (a lost connection, a deadlock): the engine runs the
 * step again, reusing the component results it already holds. Runtimes throw it, or say which of
 * their own errors are such through `Runtime.isInterruption`.
 */
export class RuntimeInterruptedError extends EngineError {
  override readonly name = 'RuntimeInterruptedError'
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERRUPTED', message, options)
  }
}

/** Whether an error is a storage interruption by the engine's own convention. */
export function isInterruptedError(error: unknown): boolean {
  return (
    error instanceof RuntimeInterruptedError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { code?: unknown }).code === 'INTERRUPTED')
  )
}
