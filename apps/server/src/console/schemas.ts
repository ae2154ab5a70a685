import { z } from '@hono/zod-openapi'
import { ENGINE_TYPES } from '../pipelines.js'

/** A run as the console lists it. */
export const runSchema = z
  .object({
    id: z.string().describe('The root pipeline id'),
    engine_type: z.enum(ENGINE_TYPES),
    state: z.string().describe("The root's bamboo state"),
    name: z.string().describe("The task's name, the tree's name, or the id"),
    project_id: z.number().int().nullable(),
    project_name: z.string().nullable(),
    task_id: z.number().int().nullable(),
    task_name: z.string().nullable(),
    creator: z.string().nullable(),
    created_at: z.number().int(),
    started_time: z.number().int().nullable(),
    archived_time: z.number().int().nullable(),
  })
  .openapi('Run')

/** The state of one node of a run. */
export const nodeStateSchema = z
  .object({
    node_id: z.string(),
    parent_id: z.string(),
    state: z.string(),
    name: z.string().describe('The state again, as the engine names the field'),
    version: z.string(),
    loop: z.number().int(),
    inner_loop: z.number().int(),
    retry: z.number().int(),
    skip: z.boolean(),
    error_ignored: z.boolean(),
    started_time: z.number().int().nullable(),
    archived_time: z.number().int().nullable(),
  })
  .openapi('NodeState')

/** A run's tree and the states of its nodes. */
export const graphSchema = z
  .object({
    run: runSchema,
    tree: z.unknown().describe('The engine tree; subprocesses nested in activities[id].pipeline'),
    states: z.record(z.string(), nodeStateSchema),
  })
  .openapi('RunGraph')

/** One node of a run in full. */
export const nodeDetailSchema = nodeStateSchema
  .extend({
    id: z.string(),
    type: z.string().nullable(),
    component: z.object({ code: z.string(), version: z.string() }).nullable(),
    inputs: z.unknown(),
    outputs: z.unknown(),
    ex_data: z.unknown(),
    histories: z.array(
      z.object({
        loop: z.number().int(),
        retry: z.number().int(),
        skip: z.boolean(),
        started_time: z.number().int().nullable(),
        archived_time: z.number().int().nullable(),
        inputs: z.unknown(),
        outputs: z.unknown(),
      }),
    ),
    schedule: z
      .object({
        id: z.string(),
        type: z.string(),
        times: z.number().int(),
        finished: z.boolean(),
        expired: z.boolean(),
        due_at: z.number().int().nullable(),
      })
      .nullable(),
    callbacks: z.array(z.object({ id: z.string(), consumed: z.boolean(), data: z.unknown() })),
  })
  .openapi('NodeDetail')

/** A run or node id of a path, as the engine's APIs take them. */
export const engineId = z.string().min(1).max(128)
