import type { Generated } from 'kysely'

/** A person or program that calls the API. */
export interface UserTable {
  id: Generated<number>
  name: string
  is_admin: number
  created_at: number
}

/** An API token; only its SHA-256 hash is kept. */
export interface TokenTable {
  id: Generated<number>
  user_id: number
  token_hash: string
  /** The first characters of the token, to tell tokens apart in lists. */
  prefix: string
  created_at: number
}

/** Which engine type started a pipeline, and who started it. */
export interface PipelineTable {
  pipeline_id: string
  engine_type: string
  user_id: number | null
  created_at: number
}

/** The server's own tables, next to the store's in the same database. */
export interface ServerDatabase {
  culm_server_user: UserTable
  culm_server_token: TokenTable
  culm_server_pipeline: PipelineTable
}
