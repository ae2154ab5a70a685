export {
  defineComponent,
  defineLazyVariable,
  fail,
  isComponentDefinition,
  isLazyVariableDefinition,
} from './define-component.js'
export {
  InvalidComponentError,
  InvalidVariableError,
  SDK_ERROR_CODES,
  SdkError,
  type SdkErrorCode,
} from './errors.js'
export { encodeResult, invokeComponent, invokeLazyVariable, jsonProblem } from './invoke.js'
export { describeComponent, scheduleMode, schemaFields } from './schema.js'
export type {
  CallRequest,
  CallResult,
  Capabilities,
  ComponentDefinition,
  ComponentDescription,
  ComponentSpec,
  ExecuteContext,
  Failure,
  FieldDescription,
  HttpRequest,
  HttpResponse,
  JsonSchema,
  JsonValue,
  LazyVariableDefinition,
  LazyVariableSpec,
  Logger,
  NodeInfo,
  ObjectSchema,
  Outcome,
  ParentData,
  ScheduleContext,
  ScheduleMode,
} from './types.js'
