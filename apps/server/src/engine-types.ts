import type { Runtime } from '@culm/engine'
import { ServerError } from './errors.js'
import type { EngineType, PipelineRegistry } from './pipelines.js'

/** The root pipeline of a node or (sub)pipeline id, or undefined for an unknown id. */
export async function rootPipelineOf(runtime: Runtime, id: string): Promise<string | undefined> {
  const state = await runtime.getState(id)
  if (state) return state.rootId || state.nodeId
  return (await runtime.getNode(id))?.rootPipelineId
}

/**
 * Refuses (`CONFLICT`) an id whose pipeline was started with the other engine type: each engine
 * type acts only on its own pipelines, as the two Python engines kept separate tables. An unknown
 * id passes, for the engine to answer its own "does not exist".
 */
export async function assertEngineType(
  runtime: Runtime,
  registry: PipelineRegistry,
  id: string,
  expected: EngineType,
): Promise<void> {
  const root = await rootPipelineOf(runtime, id)
  if (root === undefined) return
  const actual = await registry.engineTypeOf(root)
  if (actual !== expected) {
    throw new ServerError(
      'CONFLICT',
      `pipeline(${root}) was started with ${actual}; act on it through the ${actual} API`,
    )
  }
}
