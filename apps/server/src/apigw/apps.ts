import { createHash, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { ServerDatabase } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** A registered app of the task API, as lists show it: never its secret. */
export interface App {
  id: number
  code: string
  /** Whether the app may name its user by `bk_username`. */
  whitelisted: boolean
  createdAt: number
}

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const
/** How long a checked code and secret are remembered, so that a busy app costs no scrypt per call. */
const CACHE_MS = 30_000

function derive(secret: string, salt: Buffer): Promise<Buffer> {
  const options: ScryptOptions = { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p }
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, SCRYPT.keylen, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  )
}

/** The stored form of a secret: `scrypt$N$r$p$salt$key`, salt and key in base64url. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(secret, salt)
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$')
}

/** Whether `secret` matches a hash made by `hashSecret`. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      secret,
      Buffer.from(salt, 'base64url'),
      expected.length,
      { N: Number(n), r: Number(r), p: Number(p) },
      (error, derived) => (error ? reject(error) : resolve(derived)),
    ),
  )
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

function asApp(row: { id: number; code: string; whitelisted: number; created_at: number }): App {
  return {
    id: Number(row.id),
    code: row.code,
    whitelisted: Boolean(row.whitelisted),
    createdAt: Number(row.created_at),
  }
}

/** The registered apps; secrets are kept as scrypt hashes only. */
export class AppStore {
  #db: Kysely<ServerDatabase>
  #now: () => number
  #verify: typeof verifySecret
  #cache = new Map<string, { app: App; until: number }>()
  /** A hash no secret matches, checked for unknown codes. */
  #decoy: Promise<string> | undefined

  constructor(
    db: Kysely<ServerDatabase>,
    now: () => number = Date.now,
    verify: typeof verifySecret = verifySecret,
  ) {
    this.#db = db
    this.#now = now
    this.#verify = verify
  }

  async list(): Promise<App[]> {
    const rows = await this.#db.selectFrom('culm_server_app').selectAll().orderBy('id').execute()
    return rows.map(asApp)
  }

  async get(code: string): Promise<App | undefined> {
    const row = await this.#db
      .selectFrom('culm_server_app')
      .selectAll()
      .where('code', '=', code)
      .executeTakeFirst()
    return row ? asApp(row) : undefined
  }

  /** Registers an app with `secret` (or a new one); answers the app and the secret, shown once. */
  async create(
    code: string,
    options: { secret?: string; whitelisted?: boolean } = {},
  ): Promise<{ app: App; secret: string }> {
    if (await this.get(code)) {
      throw new ServerError('CONFLICT', `app ${code} already exists`, {
        issues: [{ field: 'code', message: `app ${code} already exists` }],
      })
    }
    const secret = options.secret ?? randomBytes(24).toString('base64url')
    await this.#db
      .insertInto('culm_server_app')
      .values({
        code,
        secret_hash: await hashSecret(secret),
        whitelisted: options.whitelisted ? 1 : 0,
        created_at: this.#now(),
      })
      .execute()
    const app = await this.get(code)
    if (!app) throw new ServerError('INTERNAL', `app ${code} was not created`)
    return { app, secret }
  }

  /** The app whose code and secret these are, or undefined. */
  async authenticate(code: string, secret: string): Promise<App | undefined> {
    const key = createHash('sha256').update(`${code}\u0000${secret}`).digest('hex')
    const now = this.#now()
    const cached = this.#cache.get(key)
    if (cached && cached.until > now) return cached.app
    const row = await this.#db
      .selectFrom('culm_server_app')
      .selectAll()
      .where('code', '=', code)
      .executeTakeFirst()
    // An unknown code costs the same scrypt as a wrong secret: the answer's time tells nothing
    // of which codes exist.
    this.#decoy ??= hashSecret(randomBytes(24).toString('base64url'))
    const stored = row ? row.secret_hash : await this.#decoy
    if (!(await this.#verify(secret, stored)) || !row) return undefined
    const app = asApp(row)
    if (this.#cache.size > 10_000) this.#cache.clear()
    this.#cache.set(key, { app, until: now + CACHE_MS })
    return app
  }
}
