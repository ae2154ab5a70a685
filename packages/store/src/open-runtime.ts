import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  MysqlDialect,
  type SqliteDatabase,
  SqliteDialect,
  sql,
} from 'kysely'
import { createPool } from 'mysql2'
import { StoreError } from './errors.js'
import { KyselyRuntime } from './kysely-runtime.js'
import { migrateToLatest, type SqlFlavor } from './migrations.js'
import type { StoreDatabase } from './schema.js'

/** Where the store keeps its data when `CULM_DATABASE_URL` is not set. */
export const DEFAULT_DATABASE_URL = 'sqlite:./.culm/culm.db'

const EXPECTED_URLS =
  'mysql://user:password@host:3306/database, sqlite:path/to/file.db or sqlite::memory:'

/** A database URL taken apart. */
export type DatabaseUrl =
  | { flavor: 'sqlite'; path: string }
  | {
      flavor: 'mysql'
      host: string
      port: number
      user: string
      password: string
      database: string
    }

/** Options of `openRuntime`. */
export interface OpenRuntimeOptions {
  /** How long to wait for a MySQL connection before giving up (5000 ms). */
  connectTimeoutMs?: number
  /** How many MySQL connections the pool may open (10). */
  connectionLimit?: number
  /** Bring the schema to the latest migration first (true). */
  migrate?: boolean
  /** Tries of a transaction that hits a deadlock or a lock wait (5). */
  maxAttempts?: number
  /** Told of each retry of a transaction after a deadlock or a lock wait. */
  onRetry?: (error: unknown, attempt: number) => void
}

/** An open store: its runtime, the Kysely instance under it, and how to close it. */
export interface OpenedRuntime {
  runtime: KyselyRuntime
  db: Kysely<StoreDatabase>
  flavor: SqlFlavor
  /** The URL, with any password masked. */
  url: string
  /** Closes the connections; the runtime must not be used afterwards. */
  close(): Promise<void>
}

/** The URL with its password masked, for messages and logs. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}

/**
 * Takes `mysql://user:pass@host:3306/db`, `sqlite:path/to/file.db` or `sqlite::memory:` apart.
 * Throws a `StoreError` with code `INVALID_URL` for anything else.
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const invalid = (why: string) =>
    new StoreError(
      'INVALID_URL',
      `invalid database URL "${maskUrl(url)}": ${why}; expected ${EXPECTED_URLS}`,
      { url: maskUrl(url) },
    )
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2)
    if (path === '') throw invalid('no file path')
    return { flavor: 'sqlite', path }
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalid('not a URL')
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw invalid(`unknown scheme "${parsed.protocol}"`)
  }
  if (parsed.hostname === '') throw invalid('no host')
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  if (database === '' || database.includes('/')) throw invalid('no database name')
  const port = parsed.port === '' ? 3306 : Number(parsed.port)
  return {
    flavor: 'mysql',
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
  }
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(errorText).join('; ')
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code} ${error.message}`
      : error.message || String(code ?? error.name)
  }
  return String(error)
}

function openSqlite(path: string, url: string): Kysely<StoreDatabase> {
  let database: Database.Database
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    database = new Database(path, { timeout: 5000 })
    if (path !== ':memory:') database.pragma('journal_mode = WAL')
    // With WAL, NORMAL loses no committed step on a crash of the process, only on a power cut.
    database.pragma('synchronous = NORMAL')
  } catch (error) {
    throw new StoreError(
      'CONNECTION_FAILED',
      `cannot open SQLite database ${path}: ${errorText(error)}`,
      {
        cause: error,
        url,
      },
    )
  }
  return new Kysely<StoreDatabase>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
  })
}

const STATEMENT_CACHE_SIZE = 500

/**
 * The database as Kysely's SQLite dialect sees it, preparing each SQL text once: compiling a
 * statement costs more than running most of the engine's queries.
 */
function withStatementCache(database: Database.Database): SqliteDatabase {
  const statements = new Map<string, Database.Statement>()
  return {
    close: () => database.close(),
    prepare: (source: string) => {
      let statement = statements.get(source)
      if (statement) {
        // Most recently used last, so the first entry is the one to drop.
        statements.delete(source)
      } else {
        statement = database.prepare(source)
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          statements.delete(statements.keys().next().value!)
        }
      }
      statements.set(source, statement)
      return statement
    },
  }
}

function openMysql(
  target: Extract<DatabaseUrl, { flavor: 'mysql' }>,
  options: OpenRuntimeOptions,
): Kysely<StoreDatabase> {
  const pool = createPool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    connectionLimit: options.connectionLimit ?? 10,
    charset: 'utf8mb4',
  })
  return new Kysely<StoreDatabase>({
    dialect: new MysqlDialect({
      pool,
      // Session-wide, so no step pays a round trip for it: READ COMMITTED takes no gap locks,
      // which keeps concurrent inserts of different nodes from deadlocking each other.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(
          CompiledQuery.raw('set session transaction isolation level read committed'),
        )
      },
    }),
  })
}

/**
 * Opens the store at a database URL, checks that it answers, and (unless told not to) migrates
 * it to the latest schema. A malformed URL or an unreachable database is a `StoreError`
 * (`INVALID_URL`, `CONNECTION_FAILED`) within the connect timeout, never a hang.
 * @example
 * const { runtime, close } = await openRuntime('sqlite:./.culm/culm.db')
 * const engine = createEngine({ runtime })
 * // ...
 * await close()
 */
export async function openRuntime(
  url: string,
  options: OpenRuntimeOptions = {},
): Promise<OpenedRuntime> {
  const target = parseDatabaseUrl(url)
  const masked = maskUrl(url)
  const db =
    target.flavor === 'sqlite' ? openSqlite(target.path, masked) : openMysql(target, options)
  try {
    await sql`select 1`.execute(db)
  } catch (error) {
    await db.destroy().catch(() => undefined)
    const where =
      target.flavor === 'mysql'
        ? `MySQL at ${target.host}:${target.port}/${target.database}`
        : `SQLite at ${target.path}`
    throw new StoreError('CONNECTION_FAILED', `cannot reach ${where}: ${errorText(error)}`, {
      cause: error,
      url: masked,
    })
  }
  try {
    if (options.migrate !== false) await migrateToLatest(db, target.flavor)
  } catch (error) {
    await db.destroy().catch(() => undefined)
    throw error
  }
  const { maxAttempts, onRetry } = options
  const runtime = new KyselyRuntime(db, {
    flavor: target.flavor,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    ...(onRetry === undefined ? {} : { onRetry }),
  })
  let closed: Promise<void> | undefined
  return {
    runtime,
    db,
    flavor: target.flavor,
    url: masked,
    close: () => {
      closed ??= db.destroy()
      return closed
    },
  }
}

/** Opens the store at `CULM_DATABASE_URL`, or at `sqlite:./.culm/culm.db` when it is not set. */
export function openRuntimeFromEnv(options: OpenRuntimeOptions = {}): Promise<OpenedRuntime> {
  return openRuntime(process.env.CULM_DATABASE_URL || DEFAULT_DATABASE_URL, options)
}
