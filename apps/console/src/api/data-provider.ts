import type {
  DataProvider,
  GetListParams,
  GetManyReferenceParams,
  Identifier,
  RaRecord,
} from 'react-admin'
import { HttpError } from 'react-admin'
import { type Call, type ClientOptions, createClient } from './client.js'
import { ApiError } from './errors.js'

/** How a list endpoint pages: `page`/`per_page`, `offset`/`limit`, or not at all (one array). */
type Paging = 'page' | 'offset' | 'none'

interface ListSpec {
  path: string
  paging: Paging
  /** The field that identifies a record when the server does not name it `id`. */
  idField?: string
}

/** The top-level resources and their list endpoints. */
const LISTS: Record<string, ListSpec> = {
  runs: { path: '/api/runs', paging: 'page' },
  stuck: { path: '/api/stuck', paging: 'page' },
  operations: { path: '/api/operations', paging: 'page' },
  projects: { path: '/api/projects', paging: 'none' },
  users: { path: '/api/users', paging: 'none' },
  apps: { path: '/api/apps', paging: 'none' },
  plugins: { path: '/api/components', paging: 'none', idField: 'name' },
  categories: { path: '/api/task_categories', paging: 'none' },
}

/** A resource read under a parent: the parent's id (the `target` field) fills the path. */
interface ReferenceSpec {
  target: string
  at: (id: Identifier) => string
  paging: Paging
}

const REFERENCES: Record<string, ReferenceSpec> = {
  tasks: { target: 'project_id', at: (id) => `/api/projects/${enc(id)}/tasks`, paging: 'offset' },
  tokens: { target: 'user_id', at: (id) => `/api/users/${enc(id)}/tokens`, paging: 'page' },
}

/** Resources whose single record is found in their list (the server has no `GET /{id}`). */
const ONE_FROM_LIST = new Set(['plugins', 'categories', 'apps'])

function enc(id: Identifier): string {
  return encodeURIComponent(String(id))
}

/** A list answer in any of the server's shapes: `{data,total}`, `{data,count}` or an array. */
export function normalizeList(answer: unknown): { data: RaRecord[]; total: number | undefined } {
  if (Array.isArray(answer)) return { data: answer as RaRecord[], total: answer.length }
  const body = (answer ?? {}) as { data?: unknown; total?: unknown; count?: unknown }
  const data = Array.isArray(body.data) ? (body.data as RaRecord[]) : []
  const total =
    typeof body.total === 'number'
      ? body.total
      : typeof body.count === 'number'
        ? body.count
        : undefined
  return { data, total }
}

/** Filters that are times: the server takes epoch milliseconds, date inputs give ISO strings. */
const TIME_FILTER = /(_after|_before|^since|^until)$/

function epochMillis(value: unknown): unknown {
  if (typeof value !== 'string' || value === '' || /^\d+$/.test(value)) return value
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? value : ms
}

/** The query of a list call: the filters, and the page and sort in the endpoint's own words. */
export function listQuery(
  paging: Paging,
  params: Pick<GetListParams, 'pagination' | 'sort' | 'filter'>,
): Record<string, unknown> {
  const query: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(params.filter ?? {})) {
    if (key === 'q' && paging === 'none') continue
    query[key] = TIME_FILTER.test(key) ? epochMillis(value) : value
  }
  const { page, perPage } = params.pagination ?? { page: 1, perPage: 25 }
  if (paging === 'page') {
    query.page = page
    query.per_page = perPage
    if (params.sort?.field && params.sort.field !== 'id') {
      query.sort = params.sort.field
      query.order = params.sort.order === 'ASC' ? 'asc' : 'desc'
    }
  } else if (paging === 'offset') {
    query.offset = (page - 1) * perPage
    query.limit = perPage
  }
  return query
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === undefined || a === null) return -1
  if (b === undefined || b === null) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a).localeCompare(String(b))
}

/** Filters, sorts and pages an endpoint's whole list in the browser, as its list page asks. */
export function pageLocally(
  records: RaRecord[],
  params: Pick<GetListParams, 'pagination' | 'sort' | 'filter'>,
): { data: RaRecord[]; total: number } {
  let rows = records
  for (const [key, value] of Object.entries(params.filter ?? {})) {
    if (value === undefined || value === '') continue
    if (key === 'q') {
      const needle = String(value).toLowerCase()
      rows = rows.filter((r) => JSON.stringify(r).toLowerCase().includes(needle))
    } else {
      rows = rows.filter((r) => String(r[key]) === String(value))
    }
  }
  const { field, order } = params.sort ?? { field: 'id', order: 'ASC' }
  if (field) {
    const sign = order === 'DESC' ? -1 : 1
    rows = [...rows].sort((a, b) => sign * compare(a[field], b[field]))
  }
  const { page, perPage } = params.pagination ?? { page: 1, perPage: rows.length || 1 }
  return { data: rows.slice((page - 1) * perPage, page * perPage), total: rows.length }
}

function withIds(records: RaRecord[], idField: string | undefined): RaRecord[] {
  if (!idField) return records
  return records.map((r) => ({ ...r, id: r[idField] as Identifier }))
}

/** react-admin's error: the server's message and status, the body as its `body`. */
function toHttpError(error: unknown): unknown {
  if (error instanceof ApiError) return new HttpError(error.message, error.status, error.body)
  return error
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw toHttpError(error)
  }
}

/** The paths a record is created at, by resource: a task under its project. */
function createPath(resource: string, data: Record<string, unknown>): string {
  switch (resource) {
    case 'tasks':
      return `/api/projects/${enc(data.project_id as Identifier)}/tasks`
    default:
      return LISTS[resource]?.path ?? `/api/${resource}`
  }
}

/** The path of one record, for reads and deletes. */
function onePath(resource: string, id: Identifier, meta: Record<string, unknown> = {}): string {
  switch (resource) {
    case 'tokens':
      return `/api/users/${enc(meta.user_id as Identifier)}/tokens/${enc(id)}`
    default:
      return `${LISTS[resource]?.path ?? `/api/${resource}`}/${enc(id)}`
  }
}

/** What a create answer holds: the record, or `{ user, token }` for a new user. */
function createdRecord(resource: string, answer: unknown): RaRecord {
  const body = (answer ?? {}) as Record<string, unknown>
  if (resource === 'users' && typeof body.user === 'object' && body.user !== null) {
    return { ...(body.user as RaRecord), token: body.token }
  }
  if (resource === 'apps' && typeof body.app === 'object' && body.app !== null) {
    return { ...(body.app as RaRecord), secret: body.secret }
  }
  if (resource === 'tasks' && body.id === undefined && body.task_id !== undefined) {
    return { ...body, id: body.task_id as Identifier }
  }
  return body as RaRecord
}

/** The console's react-admin data provider over the server's JSON API. */
export function createDataProvider(options: ClientOptions): DataProvider & { call: Call } {
  const call = createClient(options)

  async function list(
    spec: { paging: Paging; idField?: string },
    path: string,
    params: Pick<GetListParams, 'pagination' | 'sort' | 'filter'>,
  ) {
    const answer = await call(
      'GET',
      path,
      spec.paging === 'none' ? {} : { query: listQuery(spec.paging, params) },
    )
    const { data, total } = normalizeList(answer)
    const rows = withIds(data, spec.idField)
    if (spec.paging === 'none') return pageLocally(rows, params)
    return { data: rows, total: total ?? rows.length }
  }

  async function one(resource: string, id: Identifier, meta?: Record<string, unknown>) {
    const spec = LISTS[resource]
    if (ONE_FROM_LIST.has(resource) && spec) {
      const { data } = normalizeList(await call('GET', spec.path))
      const found = withIds(data, spec.idField).find((r) => String(r.id) === String(id))
      if (!found) throw new ApiError(404, `${resource} ${id} not found`)
      return found
    }
    const record = (await call<RaRecord>('GET', onePath(resource, id, meta))) ?? ({} as RaRecord)
    return { ...record, id: record.id ?? id }
  }

  const provider: DataProvider & { call: Call } = {
    call,
    getList: (resource, params) =>
      mapped(async () => {
        const spec = LISTS[resource]
        if (!spec) throw new ApiError(404, `unknown resource ${resource}`)
        return (await list(spec, spec.path, params)) as { data: never[]; total: number }
      }),
    getOne: (resource, params) =>
      mapped(async () => ({ data: (await one(resource, params.id, params.meta)) as never })),
    getMany: (resource, params) =>
      mapped(async () => {
        const spec = LISTS[resource]
        if (spec && spec.paging === 'none') {
          const { data } = normalizeList(await call('GET', spec.path))
          const wanted = new Set(params.ids.map(String))
          return {
            data: withIds(data, spec.idField).filter((r) => wanted.has(String(r.id))) as never,
          }
        }
        const records = await Promise.all(params.ids.map((id) => one(resource, id, params.meta)))
        return { data: records as never }
      }),
    getManyReference: (resource, params: GetManyReferenceParams) =>
      mapped(async () => {
        const spec = REFERENCES[resource]
        if (spec) {
          const result = await list(spec, spec.at(params.id), params)
          return {
            data: result.data.map((r) => ({ ...r, [spec.target]: params.id })) as never,
            total: result.total,
          }
        }
        const top = LISTS[resource]
        if (!top) throw new ApiError(404, `unknown resource ${resource}`)
        const filter = { ...params.filter, [params.target]: params.id }
        return (await list(top, top.path, { ...params, filter })) as {
          data: never[]
          total: number
        }
      }),
    create: (resource, params) =>
      mapped(async () => {
        const sent = params.data as Record<string, unknown>
        const body: Record<string, unknown> = { ...sent }
        if (resource === 'tasks') delete body.project_id
        const answer = await call('POST', createPath(resource, sent), { body })
        return { data: createdRecord(resource, answer) as never }
      }),
    // The API edits nothing in place: its records change through actions and new tokens.
    update: (resource) =>
      mapped(async () => {
        throw new ApiError(405, `${resource} are not edited in place`)
      }),
    updateMany: (resource) =>
      mapped(async () => {
        throw new ApiError(405, `${resource} are not edited in place`)
      }),
    delete: (resource, params) =>
      mapped(async () => {
        await call('DELETE', onePath(resource, params.id, params.meta))
        return { data: (params.previousData ?? { id: params.id }) as never }
      }),
    deleteMany: (resource, params) =>
      mapped(async () => {
        for (const id of params.ids) await call('DELETE', onePath(resource, id, params.meta))
        return { data: params.ids }
      }),
  }
  return provider
}
