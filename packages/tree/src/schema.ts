import { z } from 'zod'
import type { PipelineTree } from './types.js'
import { VAR_TYPES } from './types.js'

const id = z.string().min(1, 'must be a non-empty id')
const flowRefs = z.union([z.string(), z.array(z.string())])

/** A variable of the engine format. */
export const variableSchema = z.looseObject({
  type: z.enum(VAR_TYPES),
  value: z.unknown(),
  custom_type: z.string().nullish(),
  need_render: z.boolean().nullish(),
  is_param: z.boolean().nullish(),
})

const outputSource = z.looseObject({ source_act: id, source_key: z.string() })

/** A context key fed by node outputs. */
export const nodeOutputSchema = z.looseObject({
  type: z.enum(VAR_TYPES),
  source_act: z.union([id, z.array(outputSource).min(1)]),
  source_key: z.string().nullish(),
  value: z.unknown(),
  need_initialization: z.boolean().nullish(),
})

const dataSchema = z.looseObject({
  inputs: z.record(z.string(), z.union([nodeOutputSchema, variableSchema])),
  outputs: z.array(z.string()),
  pre_render_keys: z.array(z.string()).nullish(),
})

const hookedInput = z.looseObject({ hook: z.boolean().nullish(), value: z.unknown() })

const componentSchema = z.looseObject({
  code: z.string().min(1, 'must name a component'),
  version: z.string().nullish(),
  inputs: z.record(z.string(), variableSchema).optional(),
  data: z.record(z.string(), hookedInput).optional(),
})

const timeoutConfig = z
  .looseObject({
    enable: z.boolean(),
    seconds: z.number().nonnegative(),
    action: z.enum(['forced_fail', 'forced_fail_and_skip']),
  })
  .describe(
    "The activity's time limit (the platform's field, beside `component`): when `enable`, an activity still running after `seconds` is force-failed (its component's call is stopped and its late answer dropped) and, for `forced_fail_and_skip`, skipped so that the pipeline goes on. Takes precedence over the engine's own `timeout` (seconds, force-fail).",
  )

const autoRetry = z
  .looseObject({
    enable: z.boolean(),
    times: z.number().int().nonnegative(),
    interval: z.number().nonnegative(),
  })
  .describe(
    'Retries of a failed activity: up to `times` (at most 10), `interval` seconds apart (at most 10).',
  )

const loopConfig = z.looseObject({
  enable: z.boolean(),
  loop_times: z.number().int().nonnegative(),
  fail_skip: z.boolean().nullish(),
  retryable: z.boolean().nullish(),
  skippable: z.boolean().nullish(),
  outputs_key: z.string().nullish(),
})

const nodeBase = { id, name: z.string().nullish(), incoming: flowRefs }

const serviceActivity = z.looseObject({
  ...nodeBase,
  type: z.literal('ServiceActivity'),
  outgoing: z.string(),
  component: componentSchema,
  error_ignorable: z.boolean().nullish(),
  skippable: z.boolean().nullish(),
  retryable: z.boolean().nullish(),
  optional: z.boolean().nullish(),
  timeout: z.number().nonnegative().nullable().nullish(),
  timeout_config: timeoutConfig.nullish(),
  auto_retry: autoRetry.nullish(),
  loop_config: loopConfig.nullish(),
  stage_name: z.string().nullish(),
})

const subProcess = z.looseObject({
  ...nodeBase,
  type: z.literal('SubProcess'),
  outgoing: z.string(),
  params: z.record(z.string(), z.unknown()).nullish(),
  get pipeline() {
    return pipelineTreeSchema
  },
})

const condition = z.looseObject({ evaluate: z.string(), name: z.string().nullish() })

const conditionalGateway = z.looseObject({
  ...nodeBase,
  type: z.enum(['ExclusiveGateway', 'ConditionalParallelGateway']),
  outgoing: z.array(z.string()),
  conditions: z.record(z.string(), condition),
  default_condition: z.looseObject({ flow_id: z.string().nullish() }).nullish(),
  extra_info: z.record(z.string(), z.unknown()).nullish(),
  converge_gateway_id: z.string().nullish(),
})

const parallelGateway = z.looseObject({
  ...nodeBase,
  type: z.literal('ParallelGateway'),
  outgoing: z.array(z.string()),
  converge_gateway_id: z.string().nullish(),
})

const convergeGateway = z.looseObject({
  ...nodeBase,
  type: z.literal('ConvergeGateway'),
  outgoing: z.string(),
})

const constantSchema = z.looseObject({
  key: z.string().nullish(),
  value: z.unknown(),
  source_type: z.string().nullish(),
  custom_type: z.string().nullish(),
  source_tag: z.string().nullish(),
  source_info: z.record(z.string(), z.array(z.string())).nullish(),
  is_meta: z.boolean().nullish(),
})

/** The zod schema of a pipeline tree in either dialect. */
export const pipelineTreeSchema: z.ZodType<PipelineTree> = z.looseObject({
  id: z.string().optional(),
  start_event: z.looseObject({
    ...nodeBase,
    type: z.literal('EmptyStartEvent'),
    outgoing: z.string(),
  }),
  end_event: z.looseObject({
    ...nodeBase,
    type: z.string().min(1),
    outgoing: flowRefs,
  }),
  activities: z.record(z.string(), z.discriminatedUnion('type', [serviceActivity, subProcess])),
  gateways: z
    .record(
      z.string(),
      z.discriminatedUnion('type', [parallelGateway, conditionalGateway, convergeGateway]),
    )
    .optional()
    .default({}),
  flows: z.record(
    z.string(),
    z.looseObject({
      id,
      source: z.string(),
      target: z.string(),
      is_default: z.boolean().nullish(),
    }),
  ),
  data: dataSchema.optional(),
  constants: z.record(z.string(), constantSchema).optional(),
  outputs: z.array(z.string()).optional(),
}) as unknown as z.ZodType<PipelineTree>
