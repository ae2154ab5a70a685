import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { StoreError } from './errors.js'
import { maskUrl, openRuntime, parseDatabaseUrl } from './open-runtime.js'

/** The MySQL server tests use when `CULM_TEST_MYSQL_URL` is not set. */
export const DEFAULT_TEST_MYSQL_URL = 'mysql://root@127.0.0.1:3306/test'

/** The MySQL server URL for tests: `CULM_TEST_MYSQL_URL`, else the local MariaDB. */
export function testMysqlUrl(): string {
  return process.env.CULM_TEST_MYSQL_URL || DEFAULT_TEST_MYSQL_URL
}

/** A database made for one test run; `drop` removes it. */
export interface ScratchDatabase {
  /** The URL of the new database (same server and credentials). */
  url: string
  name: string
  drop(): Promise<void>
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}

async function onServer(serverUrl: string, statement: ReturnType<typeof sql>): Promise<void> {
  const server = await openRuntime(serverUrl, { migrate: false, connectTimeoutMs: 3000 })
  try {
    await statement.execute(server.db)
  } finally {
    await server.close()
  }
}

/**
 * Creates an empty database `culm_test_<random>` on the MySQL server of `serverUrl` (by default
 * `testMysqlUrl()`); fails with a `StoreError` if the server cannot be reached, never skips.
 * @example
 * const scratch = await createScratchDatabase()
 * const { runtime, close } = await openRuntime(scratch.url)
 * // ...
 * await close()
 * await scratch.drop()
 */
export async function createScratchDatabase(
  serverUrl: string = testMysqlUrl(),
): Promise<ScratchDatabase> {
  if (parseDatabaseUrl(serverUrl).flavor !== 'mysql') {
    throw new StoreError('INVALID_URL', `${maskUrl(serverUrl)} is not a MySQL URL`)
  }
  const name = `culm_test_${randomBytes(6).toString('hex')}`
  await onServer(
    serverUrl,
    sql`create database ${sql.id(name)} character set utf8mb4 collate utf8mb4_bin`,
  )
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: () => onServer(serverUrl, sql`drop database if exists ${sql.id(name)}`),
  }
}
