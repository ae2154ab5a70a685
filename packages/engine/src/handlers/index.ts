import type { NodeHandler } from '../step-context.js'
import { conditionalParallelGateway } from './conditional-parallel-gateway.js'
import { convergeGateway } from './converge-gateway.js'
import { endEvent } from './end-event.js'
import { exclusiveGateway } from './exclusive-gateway.js'
import { parallelGateway } from './parallel-gateway.js'
import { serviceActivity } from './service-activity.js'
import { startEvent } from './start-event.js'
import { subProcess } from './subprocess.js'

export { scheduleStep } from './schedule.js'

const HANDLERS: Readonly<Record<string, NodeHandler>> = {
  EmptyStartEvent: startEvent,
  ServiceActivity: serviceActivity,
  SubProcess: subProcess,
  ParallelGateway: parallelGateway,
  ConditionalParallelGateway: conditionalParallelGateway,
  ExclusiveGateway: exclusiveGateway,
  ConvergeGateway: convergeGateway,
  EmptyEndEvent: endEvent,
}

/** The step of a node type; any other type is an executable end event, named by its code. */
export function handlerOf(type: string): NodeHandler {
  return HANDLERS[type] ?? endEvent
}

/** Whether a node type is an executable end event's (a component registered under its type). */
export function isExecutableEnd(type: string): boolean {
  return !Object.hasOwn(HANDLERS, type)
}
