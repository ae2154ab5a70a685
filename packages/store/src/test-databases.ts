import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProcessRecord, StateRecord } from '@culm/engine'
import { inject } from 'vitest'
import { type OpenedRuntime, openRuntime } from './open-runtime.js'

/** Every database the store's tests run on (one test body, each database: kysely's DIALECTS). */
export const DATABASES = ['sqlite', 'mysql'] as const
export type TestDatabase = (typeof DATABASES)[number]

/** A fresh temporary folder, and a function that removes it. */
export function tempFolder(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'culm-store-'))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** The URL of a test database: a new SQLite file, or the MySQL database of this test run. */
export function testUrl(database: TestDatabase, folder: string): string {
  return database === 'sqlite' ? `sqlite:${join(folder, 'culm.db')}` : inject('mysqlUrl')
}

/** Opens (and migrates) a test database. */
export function openTestStore(database: TestDatabase, folder: string): Promise<OpenedRuntime> {
  return openRuntime(testUrl(database, folder))
}

/** An id no other test uses, so that tests can share the run's MySQL database. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

/** A state record with sensible defaults. */
export function stateRecord(overrides: Partial<StateRecord> & { nodeId: string }): StateRecord {
  return {
    rootId: 'root',
    parentId: 'root',
    name: 'RUNNING',
    version: 'v1',
    loop: 1,
    innerLoop: 1,
    retry: 0,
    skip: false,
    errorIgnored: false,
    createdTime: 1_700_000_000_000,
    startedTime: 1_700_000_000_500,
    archivedTime: null,
    ...overrides,
  }
}

/** A process record with sensible defaults. */
export function processRecord(id: string, overrides: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    id,
    rootPipelineId: 'root',
    parentId: null,
    destinationId: null,
    currentNodeId: 'start',
    pipelineStack: ['root'],
    asleep: false,
    suspended: false,
    suspendedBy: null,
    dead: false,
    ackNum: 0,
    needAck: 0,
    ...overrides,
  }
}
