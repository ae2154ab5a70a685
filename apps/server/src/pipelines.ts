import type { Kysely } from 'kysely'
import type { ServerDatabase } from './db/schema.js'

/** The two engines the server speaks for: the bamboo engine and the older pipeline engine. */
export const ENGINE_TYPES = ['bamboo_engine', 'pipeline_engine'] as const
/** One of `ENGINE_TYPES`. */
export type EngineType = (typeof ENGINE_TYPES)[number]

/** Which engine type each pipeline was started with. */
export class PipelineRegistry {
  #db: Kysely<ServerDatabase>
  #now: () => number

  constructor(db: Kysely<ServerDatabase>, now: () => number = Date.now) {
    this.#db = db
    this.#now = now
  }

  async record(pipelineId: string, engineType: EngineType, userId: number | null): Promise<void> {
    await this.#db
      .insertInto('culm_server_pipeline')
      .values({
        pipeline_id: pipelineId,
        engine_type: engineType,
        user_id: userId,
        created_at: this.#now(),
      })
      .execute()
  }

  /** The engine type a pipeline was started with; pipelines started outside the server count as bamboo. */
  async engineTypeOf(pipelineId: string): Promise<EngineType> {
    const row = await this.#db
      .selectFrom('culm_server_pipeline')
      .select('engine_type')
      .where('pipeline_id', '=', pipelineId)
      .executeTakeFirst()
    return row?.engine_type === 'pipeline_engine' ? 'pipeline_engine' : 'bamboo_engine'
  }
}
