import { createHash, randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { ServerDatabase } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** A caller of the API. */
export interface User {
  id: number
  name: string
  isAdmin: boolean
}

/** A token as lists show it: never the token itself. */
export interface TokenInfo {
  id: number
  prefix: string
  createdAt: number
}

const TOKEN_PREFIX = 'culm_'
/**
 * How long a looked-up token is remembered, so that a burst of requests costs one query. Short:
 * a token revoked (or a user changed) through another server on the database stops working here
 * within this time.
 */
export const TOKEN_CACHE_MS = 3_000

/** The SHA-256 of a token, as the database keeps it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** A new random API token. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`
}

/** Users and their API tokens, in the server's tables. */
export class UserStore {
  #db: Kysely<ServerDatabase>
  #now: () => number
  #cache = new Map<string, { user: User; until: number }>()

  constructor(db: Kysely<ServerDatabase>, now: () => number = Date.now) {
    this.#db = db
    this.#now = now
  }

  async count(): Promise<number> {
    const row = await this.#db
      .selectFrom('culm_server_user')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async list(): Promise<User[]> {
    const rows = await this.#db.selectFrom('culm_server_user').selectAll().orderBy('id').execute()
    return rows.map((r) => ({ id: Number(r.id), name: r.name, isAdmin: Boolean(r.is_admin) }))
  }

  async get(id: number): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('culm_server_user')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst()
    return row ? { id: Number(row.id), name: row.name, isAdmin: Boolean(row.is_admin) } : undefined
  }

  async getByName(name: string): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('culm_server_user')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst()
    return row ? { id: Number(row.id), name: row.name, isAdmin: Boolean(row.is_admin) } : undefined
  }

  /** Creates a user with a first token; a name taken already is a `CONFLICT`. */
  async create(
    name: string,
    isAdmin: boolean,
    token?: string,
  ): Promise<{ user: User; token: string }> {
    if (await this.getByName(name)) {
      throw new ServerError('CONFLICT', `user ${name} already exists`, {
        issues: [{ field: 'name', message: `user ${name} already exists` }],
      })
    }
    try {
      await this.#db
        .insertInto('culm_server_user')
        .values({ name, is_admin: isAdmin ? 1 : 0, created_at: this.#now() })
        .execute()
    } catch (error) {
      // Two requests creating the same name at once: the unique index lets one through.
      if (await this.getByName(name)) {
        throw new ServerError('CONFLICT', `user ${name} already exists`, { cause: error })
      }
      throw error
    }
    const user = await this.getByName(name)
    if (!user) throw new ServerError('INTERNAL', `user ${name} was not created`)
    return { user, token: await this.addToken(user.id, token) }
  }

  /** Gives a user a new token (or registers `token`); answers the token. */
  async addToken(userId: number, token: string = newToken()): Promise<string> {
    await this.#db
      .insertInto('culm_server_token')
      .values({
        user_id: userId,
        token_hash: hashToken(token),
        prefix: token.slice(0, 9),
        created_at: this.#now(),
      })
      .execute()
    return token
  }

  async tokens(userId: number): Promise<TokenInfo[]> {
    const rows = await this.#db
      .selectFrom('culm_server_token')
      .select(['id', 'prefix', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute()
    return rows.map((r) => ({
      id: Number(r.id),
      prefix: r.prefix,
      createdAt: Number(r.created_at),
    }))
  }

  /**
   * Deletes token `tokenId` of user `userId`; answers whether it existed. This server stops
   * accepting it at once, another server on the database within `TOKEN_CACHE_MS`.
   */
  async revokeToken(userId: number, tokenId: number): Promise<boolean> {
    const row = await this.#db
      .selectFrom('culm_server_token')
      .select('token_hash')
      .where('id', '=', tokenId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    if (!row) return false
    await this.#db.deleteFrom('culm_server_token').where('id', '=', tokenId).execute()
    this.#cache.delete(row.token_hash)
    return true
  }

  /** Whether a token is registered (to anyone). */
  async hasToken(token: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('culm_server_token')
      .select('id')
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst()
    return row !== undefined
  }

  /** The user a token belongs to, or undefined for an unknown token. */
  async authenticate(token: string): Promise<User | undefined> {
    const hash = hashToken(token)
    const now = this.#now()
    const cached = this.#cache.get(hash)
    if (cached && cached.until > now) return cached.user
    const row = await this.#db
      .selectFrom('culm_server_token')
      .innerJoin('culm_server_user', 'culm_server_user.id', 'culm_server_token.user_id')
      .select(['culm_server_user.id', 'culm_server_user.name', 'culm_server_user.is_admin'])
      .where('culm_server_token.token_hash', '=', hash)
      .executeTakeFirst()
    if (!row) return undefined
    const user = { id: Number(row.id), name: row.name, isAdmin: Boolean(row.is_admin) }
    if (this.#cache.size > 10_000) this.#cache.clear()
    this.#cache.set(hash, { user, until: now + TOKEN_CACHE_MS })
    return user
  }
}

/**
 * Makes sure an admin can log in: on a database without users, creates `admin` with `token` (or a
 * new one) and answers the token; with `token` given and unknown, registers it for the first
 * admin. Answers null when nothing was created.
 */
export async function ensureAdmin(users: UserStore, token?: string): Promise<string | null> {
  if ((await users.count()) === 0) return (await users.create('admin', true, token)).token
  if (token === undefined || (await users.hasToken(token))) return null
  const admin = (await users.list()).find((u) => u.isAdmin)
  const owner = admin ?? (await users.create('admin', true)).user
  return users.addToken(owner.id, token)
}
