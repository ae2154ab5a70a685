import { type CreateTableBuilder, type Kysely, sql } from 'kysely'
import type { Migration } from 'kysely/migration'

/** Users, their API tokens, and the engine type of each started pipeline. */
export function initialMigration(flavor: 'mysql' | 'sqlite'): Migration {
  const mysql = flavor === 'mysql'
  const finish = <T extends string, C extends string>(table: CreateTableBuilder<T, C>) =>
    mysql ? table.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : table
  const seq = mysql ? 'bigint' : 'integer'
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async up(db: Kysely<any>) {
      await finish(
        db.schema
          .createTable('culm_server_user')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('name', 'varchar(128)', (c) => c.notNull().unique())
          .addColumn('is_admin', mysql ? sql`tinyint` : 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
      await finish(
        db.schema
          .createTable('culm_server_token')
          .addColumn('id', seq, (c) => c.primaryKey().autoIncrement())
          .addColumn('user_id', seq, (c) => c.notNull())
          .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('prefix', 'varchar(16)', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
      await db.schema
        .createIndex('culm_server_token_user')
        .on('culm_server_token')
        .column('user_id')
        .execute()
      await finish(
        db.schema
          .createTable('culm_server_pipeline')
          .addColumn('pipeline_id', 'varchar(128)', (c) => c.primaryKey())
          .addColumn('engine_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('user_id', seq)
          .addColumn('created_at', 'bigint', (c) => c.notNull()),
      ).execute()
    },
    // biome-ignore lint/suspicious/noExplicitAny: migrations predate the typed schema
    async down(db: Kysely<any>) {
      await db.schema.dropTable('culm_server_pipeline').execute()
      await db.schema.dropTable('culm_server_token').execute()
      await db.schema.dropTable('culm_server_user').execute()
    },
  }
}
