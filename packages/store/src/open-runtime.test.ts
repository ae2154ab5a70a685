import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { StoreError } from './errors.js'
import {
  DEFAULT_DATABASE_URL,
  maskUrl,
  openRuntime,
  openRuntimeFromEnv,
  parseDatabaseUrl,
} from './open-runtime.js'
import { stateRecord, tempFolder } from './test-databases.js'

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StoreError)
  return error as StoreError
}

describe('parseDatabaseUrl', () => {
  it('takes a MySQL URL apart, with a default port and encoded credentials', () => {
    expect(parseDatabaseUrl('mysql://app:p%40ss@db.example:3307/culm')).toEqual({
      flavor: 'mysql',
      host: 'db.example',
      port: 3307,
      user: 'app',
      password: 'p@ss',
      database: 'culm',
    })
    expect(parseDatabaseUrl('mysql://root@127.0.0.1/test')).toMatchObject({
      port: 3306,
      user: 'root',
      password: '',
    })
  })

  it('takes SQLite file paths and the in-memory database', () => {
    expect(parseDatabaseUrl(DEFAULT_DATABASE_URL)).toEqual({
      flavor: 'sqlite',
      path: './.culm/culm.db',
    })
    expect(parseDatabaseUrl('sqlite:/var/lib/culm.db')).toEqual({
      flavor: 'sqlite',
      path: '/var/lib/culm.db',
    })
    expect(parseDatabaseUrl('sqlite:///var/lib/culm.db')).toMatchObject({
      path: '/var/lib/culm.db',
    })
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ flavor: 'sqlite', path: ':memory:' })
  })

  it.each([
    ['', 'not a URL'],
    ['culm.db', 'not a URL'],
    ['postgres://u@h/db', 'unknown scheme'],
    ['mysql://127.0.0.1:3306', 'no database name'],
    ['mysql://127.0.0.1:3306/', 'no database name'],
    ['mysql://h:99999/db', 'not a URL'],
    ['sqlite:', 'no file path'],
  ])('refuses %j as INVALID_URL (%s)', (url, why) => {
    let error: unknown
    try {
      parseDatabaseUrl(url)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'INVALID_URL' })
    expect((error as StoreError).message).toContain(why)
  })

  it('masks the password in what it reports', async () => {
    expect(maskUrl('mysql://app:secret@h:3306/db')).toBe('mysql://app:***@h:3306/db')
    const error = await storeError(openRuntime('mysql://app:secret@127.0.0.1:1'))
    expect(error.message).not.toContain('secret')
    expect(error.url).toBe('mysql://app:***@127.0.0.1:1')
  })
})

describe('openRuntime', () => {
  const folder = tempFolder()
  afterEach(() => vi.unstubAllEnvs())

  it('creates the folder of a SQLite file, migrates it, and opens it again', async () => {
    const path = join(folder.path, 'nested', 'deeper', 'culm.db')
    const first = await openRuntime(`sqlite:${path}`)
    await first.runtime.createState(stateRecord({ nodeId: 'n1' }))
    await first.close()
    await first.close()
    expect(existsSync(path)).toBe(true)
    const second = await openRuntime(`sqlite:${path}`)
    expect((await second.runtime.getState('n1'))?.version).toBe('v1')
    await second.close()
  })

  it('opens an in-memory SQLite database', async () => {
    const store = await openRuntime('sqlite::memory:')
    expect(store.flavor).toBe('sqlite')
    expect(await store.runtime.createState(stateRecord({ nodeId: 'n1' }))).toBe(true)
    await store.close()
  })

  it('reads CULM_DATABASE_URL', async () => {
    const path = join(folder.path, 'from-env.db')
    vi.stubEnv('CULM_DATABASE_URL', `sqlite:${path}`)
    const store = await openRuntimeFromEnv()
    expect(store.url).toBe(`sqlite:${path}`)
    await store.close()
    expect(existsSync(path)).toBe(true)
    vi.stubEnv('CULM_DATABASE_URL', 'redis://127.0.0.1:6379')
    expect((await storeError(openRuntimeFromEnv())).code).toBe('INVALID_URL')
  })

  it('fails with CONNECTION_FAILED when a SQLite file cannot be opened', async () => {
    const blocker = join(folder.path, 'a-file')
    writeFileSync(blocker, 'not a folder')
    const error = await storeError(openRuntime(`sqlite:${join(blocker, 'culm.db')}`))
    expect(error.code).toBe('CONNECTION_FAILED')
    expect(error.message).toContain('cannot open SQLite database')
  })

  it('fails with CONNECTION_FAILED at once when nothing listens on the MySQL port', async () => {
    const started = Date.now()
    const error = await storeError(openRuntime('mysql://root@127.0.0.1:1/culm'))
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' })
    expect(error.message).toContain('cannot reach MySQL at 127.0.0.1:1/culm')
    expect(error.message).toContain('ECONNREFUSED')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('fails with CONNECTION_FAILED after the connect timeout if a host does not answer', async () => {
    // 10.255.255.1 is not routed: the connection attempt hangs until the timeout.
    const error = await storeError(
      openRuntime('mysql://root@10.255.255.1:3306/culm', { connectTimeoutMs: 500 }),
    )
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' })
    expect(error.message).toContain('cannot reach MySQL at 10.255.255.1:3306/culm')
  }, 5000)

  it('fails with CONNECTION_FAILED for a database the MySQL server does not have', async () => {
    const error = await storeError(openRuntime('mysql://root@127.0.0.1:3306/culm_no_such_db'))
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' })
    expect(error.message).toContain('culm_no_such_db')
  })

  it('cleans up', () => {
    folder.remove()
  })
})
