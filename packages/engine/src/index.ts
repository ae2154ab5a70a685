export { EngineAPI, type PreviewNodeInputsArgs, type RunPipelineArgs } from './api/engine-api.js'
export type { StateTreeEntry } from './api/format.js'
export type { EngineAPIResult } from './api/result.js'
export { FAST_CALL_MS } from './component-calls.js'
export {
  type Component,
  type ComponentControls,
  type ComponentData,
  type ComponentField,
  type ComponentOutcome,
  ComponentRegistry,
  type LazyVariable,
} from './component-registry.js'
export {
  compareVersions,
  componentLookup,
  defaultVersion,
  UNVERSIONED,
} from './component-version.js'
export { createEngine, defaultIds, type Engine, type EngineOptions } from './engine.js'
export { MAX_RECOVERIES } from './engine-core.js'
export {
  ComponentNotFoundError,
  ENGINE_ERROR_CODES,
  EngineError,
  type EngineErrorCode,
  InvalidOperationError,
  isInterruptedError,
  NotFoundError,
  RuntimeInterruptedError,
  StateTransitionError,
  TreeInvalidEngineError,
  VersionMismatchError,
} from './errors.js'
export { InlineDispatcher, type InlineDispatcherOptions } from './inline-dispatcher.js'
export { MemoryRuntime } from './memory-runtime.js'
export { type Clock, type IdGenerator, ManualClock, systemClock } from './ports/clock.js'
export type {
  ComponentCallInput,
  ComponentCallOptions,
  ComponentCallResult,
  ComponentFieldInfo,
  ComponentInfo,
  ComponentRef,
  ComponentRunner,
  ScheduleMode,
} from './ports/components.js'
export type { Dispatcher, StepHandler } from './ports/dispatcher.js'
export type { EngineHooks } from './ports/hooks.js'
export type * from './ports/records.js'
export type * from './ports/runtime.js'
export type { Redispatched } from './redispatch.js'
export { ARCHIVED_STATES, canTransit, STATES, type StateName } from './states.js'
export { MAX_STEP_ATTEMPTS } from './steps.js'
