import { BuilderError } from '../errors.js'
import { uniqueId } from '../ids.js'
import type { AutoRetry, LoopConfig, PipelineData, TimeoutConfig } from '../types.js'
import type { Data, Params, VariableLike } from './data.js'

/** Options every element takes. */
export interface ElementOptions {
  id?: string
  name?: string
}

/** A node of a tree under construction; link elements with `extend`, `connect` and `converge`. */
export abstract class Element {
  readonly id: string
  readonly name: string
  readonly outgoing: Element[] = []
  abstract readonly type: string

  constructor(options: ElementOptions = {}) {
    this.id = options.id ?? uniqueId('e')
    this.name = options.name ?? ''
  }

  /** Adds a flow from this element to `next` and returns `next`, for chaining. */
  extend<T extends Element>(next: T): T {
    this.outgoing.push(next)
    return next
  }

  /** Adds a flow from this element to each of `targets` and returns this element. */
  connect(...targets: Element[]): this {
    this.outgoing.push(...targets)
    return this
  }

  /** Joins the tail of every branch leaving this element to `target` and returns `target`. */
  converge<T extends Element>(target: T): T {
    for (const branch of this.outgoing) branch.tail().outgoing.push(target)
    return target
  }

  /** Continues a chain at `target` without linking. */
  to<T extends Element>(target: T): T {
    return target
  }

  /** The last element reached by following first outgoing links. */
  tail(): Element {
    let current: Element = this
    const seen = new Set<Element>()
    while (current.outgoing.length > 0 && !seen.has(current)) {
      seen.add(current)
      current = current.outgoing[0]!
    }
    return current
  }
}

export class EmptyStartEvent extends Element {
  readonly type = 'EmptyStartEvent'
}

export class EmptyEndEvent extends Element {
  readonly type: string = 'EmptyEndEvent'
}

/** An end event that runs registered code; its `type` must be registered as a sink type. */
export class ExecutableEndEvent extends EmptyEndEvent {
  override readonly type: string

  constructor(options: ElementOptions & { type: string }) {
    super(options)
    this.type = options.type
  }
}

/** Options of a service activity, named as in the Python builder. */
export interface ServiceActivityOptions extends ElementOptions {
  componentCode: string
  componentVersion?: string
  errorIgnorable?: boolean
  timeout?: number | null
  skippable?: boolean
  retryable?: boolean
  timeoutConfig?: TimeoutConfig
  autoRetry?: AutoRetry
  loopConfig?: LoopConfig
}

/** A node that runs a component; set its inputs through `component.inputs`. */
export class ServiceActivity extends Element {
  readonly type = 'ServiceActivity'
  readonly component: { code: string; version?: string; inputs: Record<string, VariableLike> }
  readonly errorIgnorable: boolean
  readonly timeout: number | null
  readonly skippable: boolean
  readonly retryable: boolean
  readonly timeoutConfig: TimeoutConfig | undefined
  readonly autoRetry: AutoRetry | undefined
  readonly loopConfig: LoopConfig | undefined

  constructor(options: ServiceActivityOptions) {
    super(options)
    this.component = { code: options.componentCode, inputs: {} }
    if (options.componentVersion !== undefined) this.component.version = options.componentVersion
    this.errorIgnorable = options.errorIgnorable ?? false
    this.timeout = options.timeout ?? null
    this.skippable = options.skippable ?? true
    this.retryable = options.retryable ?? true
    this.timeoutConfig = options.timeoutConfig
    this.autoRetry = options.autoRetry
    this.loopConfig = options.loopConfig
  }
}

/** A node that runs a nested pipeline starting at `start`. */
export class SubProcess extends Element {
  readonly type = 'SubProcess'
  readonly start: EmptyStartEvent
  readonly data: Data | PipelineData | undefined
  readonly params: Params | Record<string, VariableLike>

  constructor(
    options: ElementOptions & {
      start: EmptyStartEvent
      data?: Data | PipelineData
      params?: Params | Record<string, VariableLike>
    },
  ) {
    super(options)
    this.start = options.start
    this.data = options.data
    this.params = options.params ?? {}
  }
}

export class ParallelGateway extends Element {
  readonly type = 'ParallelGateway'
}

export class ConvergeGateway extends Element {
  readonly type = 'ConvergeGateway'
}

/** Options of the gateways that choose branches by condition. */
export interface ConditionalGatewayOptions extends ElementOptions {
  /** Condition expression per outgoing index, in the order elements are connected. */
  conditions: Record<number, string>
  /** The outgoing index taken when no condition holds. */
  defaultConditionOutgoing?: number
  /** `first` takes the first true branch instead of requiring exactly one. */
  strategy?: 'only' | 'first'
}

abstract class ConditionalGatewayElement extends Element {
  readonly conditions: Record<number, string>
  readonly defaultConditionOutgoing: number | undefined
  readonly strategy: 'only' | 'first' | undefined

  constructor(options: ConditionalGatewayOptions) {
    super(options)
    this.conditions = options.conditions
    this.defaultConditionOutgoing = options.defaultConditionOutgoing
    this.strategy = options.strategy
  }

  /** The conditions keyed by the flow ids of the outgoing flows. */
  linkConditionsWith(flowIds: string[]): Record<string, { evaluate: string }> {
    const linked: Record<string, { evaluate: string }> = {}
    for (const [index, flowId] of flowIds.entries()) {
      const evaluate = this.conditions[index]
      if (evaluate === undefined) {
        if (index === this.defaultConditionOutgoing) continue
        throw new BuilderError(`gateway "${this.id}" has no condition for outgoing ${index}`, {
          nodeId: this.id,
        })
      }
      linked[flowId] = { evaluate }
    }
    return linked
  }

  /** `{ flow_id }` of the default outgoing flow, or `{}`. */
  linkDefaultConditionWith(flowIds: string[]): { flow_id?: string } {
    if (this.defaultConditionOutgoing === undefined) return {}
    const flowId = flowIds[this.defaultConditionOutgoing]
    if (flowId === undefined) {
      throw new BuilderError(
        `gateway "${this.id}" has no outgoing ${this.defaultConditionOutgoing} for its default condition`,
        { nodeId: this.id },
      )
    }
    return { flow_id: flowId }
  }
}

/** Takes exactly one branch: the one whose condition holds. */
export class ExclusiveGateway extends ConditionalGatewayElement {
  readonly type = 'ExclusiveGateway'
}

/** Takes, in parallel, every branch whose condition holds. */
export class ConditionalParallelGateway extends ConditionalGatewayElement {
  readonly type = 'ConditionalParallelGateway'
}

export { ConditionalGatewayElement }
