import type { Kysely } from 'kysely'
import type { Migration } from 'kysely/migration'

/** The lease one server holds on its database while it runs. */
export function leaseMigration(): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('culm_server_lease')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(255)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async down(db: Kysely<any>) {
      await db.schema.dropTable('culm_server_lease').execute()
    },
  }
}
