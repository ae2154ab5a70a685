#!/usr/bin/env node
import { StoreError } from './errors.js'
import { migrateToLatest } from './migrations.js'
import { DEFAULT_DATABASE_URL, openRuntime } from './open-runtime.js'

const USAGE = `usage: culm-migrate [database-url]

Brings the Culm store to the latest schema; does nothing if it is there already.
The URL defaults to CULM_DATABASE_URL, then to ${DEFAULT_DATABASE_URL}.`

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(USAGE)
    return 0
  }
  if (argv.length > 1) {
    console.error(USAGE)
    return 2
  }
  // `npm run migrate` runs in the package's folder; a relative SQLite path means where npm was run.
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD)
  const url = argv[0] ?? (process.env.CULM_DATABASE_URL || DEFAULT_DATABASE_URL)
  const store = await openRuntime(url, { migrate: false })
  try {
    const results = await migrateToLatest(store.db, store.flavor)
    for (const result of results) console.log(`applied ${result.migrationName}`)
    console.log(
      results.length === 0 ? `${store.url} is up to date` : `${store.url} migrated to latest`,
    )
    return 0
  } finally {
    await store.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(error instanceof StoreError ? `${error.code}: ${error.message}` : error)
    process.exitCode = 1
  },
)
