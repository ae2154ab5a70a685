import type { NodeOutputVariable, OutputSource, PipelineData, Variable, VarType } from '../types.js'

/** Anything that becomes a variable of the engine format. */
export interface ToVariable {
  toJSON(): Variable | NodeOutputVariable
}

/** A variable: `plain` (a literal), `splice` (a template rendered against the context) or `lazy`. */
export class Var implements ToVariable {
  static readonly PLAIN = 'plain' as const
  static readonly SPLICE = 'splice' as const
  static readonly LAZY = 'lazy' as const

  readonly type: VarType
  readonly value: unknown
  readonly customType: string | undefined

  constructor(options: { type: VarType; value: unknown; customType?: string }) {
    this.type = options.type
    this.value = options.value
    this.customType = options.customType
  }

  toJSON(): Variable {
    const variable: Variable = { type: this.type, value: this.value }
    if (this.customType !== undefined) variable.custom_type = this.customType
    return variable
  }
}

/** A subprocess parameter declaration: its value is the default, overridden by the parent's `params`. */
export class DataInput extends Var {
  override toJSON(): Variable {
    return { ...super.toJSON(), is_param: true }
  }
}

/** Copies output `sourceKey` of node `sourceAct` into this context key after the node runs. */
export class NodeOutput implements ToVariable {
  readonly type: VarType
  readonly sourceAct: string
  readonly sourceKey: string

  constructor(options: { sourceAct: string; sourceKey: string; type?: VarType }) {
    this.type = options.type ?? 'plain'
    this.sourceAct = options.sourceAct
    this.sourceKey = options.sourceKey
  }

  toJSON(): NodeOutputVariable {
    return { type: this.type, value: null, source_act: this.sourceAct, source_key: this.sourceKey }
  }
}

/** A context key fed by the outputs of several nodes; the last one to run wins. */
export class RewritableNodeOutput implements ToVariable {
  readonly type: VarType
  readonly sources: Array<{ sourceAct: string; sourceKey: string }>

  constructor(options: {
    sources: Array<{ sourceAct: string; sourceKey: string }>
    type?: VarType
  }) {
    this.type = options.type ?? 'plain'
    this.sources = options.sources
  }

  toJSON(): NodeOutputVariable {
    const sourceAct: OutputSource[] = this.sources.map((s) => ({
      source_act: s.sourceAct,
      source_key: s.sourceKey,
    }))
    return { type: this.type, value: null, source_act: sourceAct }
  }
}

/** A rewritable node output whose initial `value` is in the context from the start. */
export class InitializedRewritableNodeOutput extends RewritableNodeOutput {
  readonly value: unknown

  constructor(options: {
    sources: Array<{ sourceAct: string; sourceKey: string }>
    value: unknown
    type?: VarType
  }) {
    super(options)
    this.value = options.value
  }

  override toJSON(): NodeOutputVariable {
    return { ...super.toJSON(), value: this.value, need_initialization: true }
  }
}

/** A variable given either as a builder object or already as JSON. */
export type VariableLike = ToVariable | Variable | NodeOutputVariable

function variableJSON(value: VariableLike): Variable | NodeOutputVariable {
  return typeof (value as ToVariable).toJSON === 'function'
    ? (value as ToVariable).toJSON()
    : (value as Variable)
}

/** Turns a record of builder variables into engine-format JSON. */
export function variablesJSON(
  record: Record<string, VariableLike>,
): Record<string, Variable | NodeOutputVariable> {
  const out: Record<string, Variable | NodeOutputVariable> = {}
  for (const [key, value] of Object.entries(record)) out[key] = variableJSON(value)
  return out
}

/** The context definition of a (sub)pipeline: inputs keyed `${key}`, outputs, pre-render keys. */
export class Data {
  readonly inputs: Record<string, VariableLike>
  readonly outputs: string[]
  readonly preRenderKeys: string[] | undefined

  constructor(
    options: {
      inputs?: Record<string, VariableLike>
      outputs?: string[]
      preRenderKeys?: string[]
    } = {},
  ) {
    this.inputs = options.inputs ?? {}
    this.outputs = options.outputs ?? []
    this.preRenderKeys = options.preRenderKeys
  }

  toJSON(): PipelineData {
    const data: PipelineData = { inputs: variablesJSON(this.inputs), outputs: [...this.outputs] }
    if (this.preRenderKeys !== undefined) data.pre_render_keys = [...this.preRenderKeys]
    return data
  }
}

/** Subprocess parameters, keyed `${key}`, rendered in the parent's context. */
export class Params {
  readonly params: Record<string, VariableLike>

  constructor(params: Record<string, VariableLike> = {}) {
    this.params = params
  }

  toJSON(): Record<string, Variable | NodeOutputVariable> {
    return variablesJSON(this.params)
  }
}
