import { createHash, randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { Kysely } from 'kysely'
import type { User } from '../auth/users.js'
import type { ServerDatabase } from '../db/schema.js'
import { ServerError } from '../errors.js'

/** How a node parameter names an uploaded file: `culm-file:<fileId>`. */
export const FILE_REF_PREFIX = 'culm-file:'

/** Where job files go and how large they may be. */
export interface FileOptions {
  /** A folder for the files; without it they are kept in the database. */
  directory?: string | undefined
  /** The largest file accepted, in bytes. */
  maxBytes: number
}

/**
 * Uploaded job files. Their bytes are kept in the database, or in a file of the configured folder
 * under a random name, readable and writable by the server only and never executable; nothing
 * runs them, nodes get their reference (`culm-file:<id>`) as a parameter.
 */
export class JobFiles {
  readonly #db: Kysely<ServerDatabase>
  readonly #options: FileOptions
  readonly #now: () => number

  constructor(db: Kysely<ServerDatabase>, options: FileOptions, now: () => number) {
    this.#db = db
    this.#options = options
    this.#now = now
  }

  /** Stores a file; answers its id, name, size, digest and reference. */
  async store(user: User, param: string, file: File): Promise<Record<string, unknown>> {
    if (file.size > this.#options.maxBytes) {
      throw new ServerError(
        'PAYLOAD_TOO_LARGE',
        `file is ${file.size} bytes, more than the ${this.#options.maxBytes} allowed`,
        {
          issues: [{ field: 'file', message: `larger than ${this.#options.maxBytes} bytes` }],
        },
      )
    }
    const bytes = Buffer.from(await file.arrayBuffer())
    const name = basename(file.name.replaceAll('\\', '/')).slice(0, 255) || 'file'
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    let path: string | null = null
    if (this.#options.directory) {
      await mkdir(this.#options.directory, { recursive: true, mode: 0o700 })
      path = join(this.#options.directory, randomBytes(16).toString('hex'))
      await writeFile(path, bytes, { mode: 0o600, flag: 'wx' })
    }
    const inserted = await this.#db
      .insertInto('culm_offline_file')
      .values({
        param,
        name,
        size: bytes.length,
        sha256,
        content: path === null ? bytes : null,
        path,
        user_id: user.id,
        created_at: this.#now(),
      })
      .executeTakeFirstOrThrow()
    const id = Number(inserted.insertId)
    return {
      fileId: id,
      fileName: name,
      size: bytes.length,
      sha256,
      param,
      ref: `${FILE_REF_PREFIX}${id}`,
    }
  }

  /** The file ids of `culm-file:` references in `ids` that do not exist. */
  async missing(ids: number[]): Promise<number[]> {
    if (ids.length === 0) return []
    const found = await this.#db
      .selectFrom('culm_offline_file')
      .select('id')
      .where('id', 'in', ids)
      .execute()
    const known = new Set(found.map((r) => Number(r.id)))
    return ids.filter((id) => !known.has(id))
  }
}

/** The file ids a value references as `culm-file:<id>`, at any depth. */
export function fileRefs(value: unknown, into: number[] = []): number[] {
  if (typeof value === 'string' && value.startsWith(FILE_REF_PREFIX)) {
    const id = Number(value.slice(FILE_REF_PREFIX.length))
    into.push(Number.isSafeInteger(id) && id > 0 ? id : -1)
  } else if (Array.isArray(value)) {
    for (const item of value) fileRefs(item, into)
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) fileRefs(item, into)
  }
  return into
}
