import type { Kysely } from 'kysely'
import type { User } from '../auth/users.js'
import type { ServerDatabase } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** A project of the operations platform. */
export interface Project {
  id: number
  name: string
  description: string
  /** The business id that `scope: cmdb_biz` looks projects up by. */
  bk_biz_id: number
  created_at: number
}

/** How a call's `project_id` names its project: by business id (the default) or by project id. */
export const PROJECT_SCOPES = ['cmdb_biz', 'project'] as const
/** One of `PROJECT_SCOPES`. */
export type ProjectScope = (typeof PROJECT_SCOPES)[number]

function asProject(row: Project): Project {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    bk_biz_id: Number(row.bk_biz_id),
    created_at: Number(row.created_at),
  }
}

/** Projects and their members. */
export class ProjectStore {
  #db: Kysely<ServerDatabase>
  #now: () => number

  constructor(db: Kysely<ServerDatabase>, now: () => number = Date.now) {
    this.#db = db
    this.#now = now
  }

  async get(id: number): Promise<Project | undefined> {
    const row = await this.#db
      .selectFrom('culm_server_project')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row ? asProject(row) : undefined
  }

  /** The project a call's `project_id` names under `scope`, or a `NOT_FOUND`. */
  async resolve(projectId: number, scope: ProjectScope): Promise<Project> {
    const row = await this.#db
      .selectFrom('culm_server_project')
      .selectAll()
      .where(scope === 'project' ? 'id' : 'bk_biz_id', '=', projectId)
      .executeTakeFirst()
    if (!row) {
      throw new ServerError(
        'NOT_FOUND',
        scope === 'project'
          ? `project ${projectId} does not exist`
          : `no project belongs to business ${projectId} (scope cmdb_biz; give scope project to name a project id)`,
      )
    }
    return asProject(row)
  }

  /** Every project, or those `user` is a member of. */
  async list(user?: User): Promise<Project[]> {
    let query = this.#db.selectFrom('culm_server_project').selectAll('culm_server_project')
    if (user && !user.isAdmin) {
      query = query
        .innerJoin(
          'culm_server_project_member',
          'culm_server_project_member.project_id',
          'culm_server_project.id',
        )
        .where('culm_server_project_member.user_id', '=', user.id)
    }
    const rows = await query.orderBy('culm_server_project.id').execute()
    return rows.map(asProject)
  }

  /** Creates a project; a business id taken already is a `CONFLICT`. */
  async create(fields: {
    name: string
    description?: string
    bk_biz_id: number
  }): Promise<Project> {
    const taken = await this.#db
      .selectFrom('culm_server_project')
      .select('id')
      .where('bk_biz_id', '=', fields.bk_biz_id)
      .executeTakeFirst()
    if (taken) {
      throw new ServerError('CONFLICT', `business ${fields.bk_biz_id} already has a project`, {
        issues: [{ field: 'bk_biz_id', message: `project ${taken.id} has it already` }],
      })
    }
    await this.#db
      .insertInto('culm_server_project')
      .values({
        name: fields.name,
        description: fields.description ?? '',
        bk_biz_id: fields.bk_biz_id,
        created_at: this.#now(),
      })
      .execute()
    return this.resolve(fields.bk_biz_id, 'cmdb_biz')
  }

  async members(projectId: number): Promise<number[]> {
    const rows = await this.#db
      .selectFrom('culm_server_project_member')
      .select('user_id')
      .where('project_id', '=', projectId)
      .orderBy('user_id')
      .execute()
    return rows.map((r) => Number(r.user_id))
  }

  async isMember(projectId: number, userId: number): Promise<boolean> {
    const row = await this.#db
      .selectFrom('culm_server_project_member')
      .select('user_id')
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return row !== undefined
  }

  /** Makes a user a member; answers false when it was one already. */
  async addMember(projectId: number, userId: number): Promise<boolean> {
    if (await this.isMember(projectId, userId)) return false
    await this.#db
      .insertInto('culm_server_project_member')
      .values({ project_id: projectId, user_id: userId })
      .execute()
    return true
  }

  /** Ends a membership; answers false when there was none. */
  async removeMember(projectId: number, userId: number): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('culm_server_project_member')
      .where('project_id', '=', projectId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  /** Refuses (`FORBIDDEN`) a user who is neither an admin nor a member of the project. */
  async assertAccess(project: Project, user: User): Promise<void> {
    if (user.isAdmin || (await this.isMember(project.id, user.id))) return
    throw new ServerError(
      'FORBIDDEN',
      `user ${user.name} is not a member of project ${project.id} (${project.name})`,
    )
  }
}
