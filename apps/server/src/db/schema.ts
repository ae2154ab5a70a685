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

/** A registered app: its code, the scrypt hash of its secret, and whether it may name users. */
export interface AppTable {
  id: Generated<number>
  code: string
  secret_hash: string
  /** 1 when the app may name its user by `bk_username`. */
  whitelisted: number
  created_at: number
}

/** A project of the operations platform; `bk_biz_id` is its business id. */
export interface ProjectTable {
  id: Generated<number>
  name: string
  description: string
  bk_biz_id: number
  created_at: number
}

/** Which users are members of which projects. */
export interface ProjectMemberTable {
  project_id: number
  user_id: number
}

/** A one-off task of a project: its platform tree and the pipeline that runs it. */
export interface TaskTable {
  id: Generated<number>
  project_id: number
  name: string
  description: string
  category: string
  flow_type: string
  engine_type: string
  pipeline_id: string
  /** The platform-format tree, as JSON text. */
  pipeline_tree: string
  creator_id: number
  created_at: number
  started_at: number | null
}

/** One change made through the task API: who, when, what. */
export interface OperationTable {
  id: Generated<number>
  project_id: number
  task_id: number | null
  node_id: string | null
  user_id: number
  app_code: string
  operation: string
  /** The call's parameters, as JSON text. */
  detail: string
  created_at: number
}

/** The lease of the server that runs the engine over the database. */
export interface LeaseTable {
  name: string
  holder: string
  expires_at: number
}

/** An engine key of the offline surface and the engine id it was given. */
export interface OfflineEngineTable {
  id: Generated<number>
  engine_key: string
  created_at: number
}

/** An offline DAG template: the body as given, and its schedule's state. */
export interface OfflineTemplateTable {
  id: Generated<number>
  engine_id: number
  pipeline_key: string
  name: string
  /** The template as created or updated, as JSON text. */
  body: string
  creator_id: number
  /** 1 while the schedule is switched on. */
  schedule_on: number
  /** The schedule's next tick (ms); its run starts `delayTime` later. */
  next_tick_at: number | null
  created_at: number
  updated_at: number
}

/** One run of an offline template: the engine pipeline that runs it. */
export interface OfflineRunTable {
  id: Generated<number>
  template_id: number
  pipeline_id: string
  /** DAG node id → engine node id, as JSON text. */
  node_map: string
  /** The per-node parameters of the run, as JSON text. */
  params: string
  /** `manual`, `schedule` or `resume`. */
  trigger_kind: string
  /** The schedule tick that started the run; unique per template, so a tick runs once. */
  tick_at: number | null
  /** When the run is stopped unless it has ended (ms); null once handled. */
  deadline_at: number | null
  timed_out: number
  resumed_from: number | null
  user_id: number
  /** The server process that started the run (and runs its steps). */
  server: string
  created_at: number
}

/** An uploaded job file: its bytes in `content`, or in a file of the upload folder at `path`. */
export interface OfflineFileTable {
  id: Generated<number>
  param: string
  name: string
  size: number
  sha256: string
  content: Buffer | null
  path: string | null
  user_id: number
  created_at: number
}

/** The server's own tables, next to the store's in the same database. */
export interface ServerDatabase {
  culm_server_user: UserTable
  culm_server_token: TokenTable
  culm_server_pipeline: PipelineTable
  culm_server_app: AppTable
  culm_server_project: ProjectTable
  culm_server_project_member: ProjectMemberTable
  culm_server_task: TaskTable
  culm_server_operation: OperationTable
  culm_server_lease: LeaseTable
  culm_offline_engine: OfflineEngineTable
  culm_offline_template: OfflineTemplateTable
  culm_offline_run: OfflineRunTable
  culm_offline_file: OfflineFileTable
}
