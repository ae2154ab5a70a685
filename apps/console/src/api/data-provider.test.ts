import { HttpError } from 'react-admin'
import { describe, expect, it } from 'vitest'
import { createDataProvider, listQuery, normalizeList, pageLocally } from './data-provider.js'

interface Sent {
  method: string
  url: URL
  headers: Record<string, string>
  body: unknown
}

/** A fetch that records each request and answers from a table of paths. */
function fakeFetch(answer: (sent: Sent) => { status?: number; body?: unknown }) {
  const sent: Sent[] = []
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request: Sent = {
      method: init.method ?? 'GET',
      url: new URL(String(input), 'http://culm.test'),
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    }
    sent.push(request)
    const { status = 200, body } = answer(request)
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    })
  }
  return { fetch: fetch as typeof globalThis.fetch, sent }
}

const page = { page: 2, perPage: 10 }

describe('data provider', () => {
  it('asks for a page of runs with the filters, sort and bearer token', async () => {
    const { fetch, sent } = fakeFetch(() => ({
      body: { data: [{ id: 'p1', state: 'RUNNING' }], total: 31 },
    }))
    const provider = createDataProvider({ fetch, token: () => 'tok' })
    const answer = await provider.getList('runs', {
      pagination: page,
      sort: { field: 'started_time', order: 'ASC' },
      filter: { state: 'RUNNING', engine_type: 'bamboo_engine', task_name: '' },
    })
    expect(answer).toEqual({ data: [{ id: 'p1', state: 'RUNNING' }], total: 31 })
    const request = sent[0]!
    expect(request.method).toBe('GET')
    expect(request.url.pathname).toBe('/api/runs')
    expect(Object.fromEntries(request.url.searchParams)).toEqual({
      state: 'RUNNING',
      engine_type: 'bamboo_engine',
      page: '2',
      per_page: '10',
      sort: 'started_time',
      order: 'asc',
    })
    expect(request.headers.authorization).toBe('Bearer tok')
  })

  it('sends no authorization header without a token', async () => {
    const { fetch, sent } = fakeFetch(() => ({ body: { data: [], total: 0 } }))
    await createDataProvider({ fetch, token: () => null }).getList('stuck', {
      pagination: { page: 1, perPage: 25 },
      sort: { field: 'id', order: 'ASC' },
      filter: { running_longer_than: 60 },
    })
    expect(sent[0]!.headers.authorization).toBeUndefined()
    expect(sent[0]!.url.searchParams.get('running_longer_than')).toBe('60')
    expect(sent[0]!.url.searchParams.has('sort')).toBe(false)
  })

  it('pages the tasks of a project by offset and limit, and reads their count', async () => {
    const { fetch, sent } = fakeFetch(() => ({ body: { count: 12, data: [{ id: 7, name: 't' }] } }))
    const answer = await createDataProvider({ fetch, token: () => 't' }).getManyReference('tasks', {
      target: 'project_id',
      id: 3,
      pagination: { page: 3, perPage: 5 },
      sort: { field: 'id', order: 'DESC' },
      filter: { engine_type: 'pipeline_engine' },
    })
    expect(sent[0]!.url.pathname).toBe('/api/projects/3/tasks')
    expect(Object.fromEntries(sent[0]!.url.searchParams)).toEqual({
      engine_type: 'pipeline_engine',
      offset: '10',
      limit: '5',
    })
    expect(answer).toEqual({ data: [{ id: 7, name: 't', project_id: 3 }], total: 12 })
  })

  it('filters, sorts and pages in the browser an endpoint that answers one array', async () => {
    const users = [
      { id: 1, name: 'admin', is_admin: true },
      { id: 2, name: 'bob', is_admin: false },
      { id: 3, name: 'carol', is_admin: false },
    ]
    const { fetch } = fakeFetch(() => ({ body: users }))
    const answer = await createDataProvider({ fetch, token: () => 't' }).getList('users', {
      pagination: { page: 1, perPage: 1 },
      sort: { field: 'name', order: 'DESC' },
      filter: { is_admin: false },
    })
    expect(answer).toEqual({ data: [users[2]], total: 2 })
  })

  it('names plugins by their name and finds one in the list', async () => {
    const { fetch, sent } = fakeFetch(() => ({
      body: [{ name: 'testkit', version: '1.0.0', components: [] }],
    }))
    const provider = createDataProvider({ fetch, token: () => 't' })
    const one = await provider.getOne('plugins', { id: 'testkit' })
    expect(one.data).toMatchObject({ id: 'testkit', version: '1.0.0' })
    expect(sent[0]!.url.pathname).toBe('/api/components')
    await expect(provider.getOne('plugins', { id: 'nothere' })).rejects.toMatchObject({
      status: 404,
    })
  })

  it('reads one run by its id', async () => {
    const { fetch, sent } = fakeFetch(() => ({ body: { id: 'p/1', state: 'FINISHED' } }))
    const one = await createDataProvider({ fetch, token: () => 't' }).getOne('runs', { id: 'p/1' })
    expect(sent[0]!.url.pathname).toBe('/api/runs/p%2F1')
    expect(one.data).toEqual({ id: 'p/1', state: 'FINISHED' })
  })

  it('creates a task under its project, without the project id in the body', async () => {
    const { fetch, sent } = fakeFetch(() => ({ status: 201, body: { id: 9, name: 'nightly' } }))
    const created = await createDataProvider({ fetch, token: () => 't' }).create('tasks', {
      data: { project_id: 4, name: 'nightly', pipeline_tree: { activities: {} } },
    })
    expect(sent[0]!.method).toBe('POST')
    expect(sent[0]!.url.pathname).toBe('/api/projects/4/tasks')
    expect(sent[0]!.body).toEqual({ name: 'nightly', pipeline_tree: { activities: {} } })
    expect(sent[0]!.headers['content-type']).toBe('application/json')
    expect(created.data).toEqual({ id: 9, name: 'nightly' })
  })

  it('keeps the token a new user is given, shown once', async () => {
    const { fetch } = fakeFetch(() => ({
      status: 201,
      body: { user: { id: 5, name: 'dora', is_admin: false }, token: 'secret' },
    }))
    const created = await createDataProvider({ fetch, token: () => 't' }).create('users', {
      data: { name: 'dora' },
    })
    expect(created.data).toEqual({ id: 5, name: 'dora', is_admin: false, token: 'secret' })
  })

  it('revokes a token at its user path', async () => {
    const { fetch, sent } = fakeFetch(() => ({ status: 204 }))
    await createDataProvider({ fetch, token: () => 't' }).delete('tokens', {
      id: 11,
      previousData: { id: 11, user_id: 5 },
      meta: { user_id: 5 },
    })
    expect(sent[0]!.method).toBe('DELETE')
    expect(sent[0]!.url.pathname).toBe('/api/users/5/tokens/11')
  })

  it("turns an error answer into react-admin's HttpError with the server's message", async () => {
    const { fetch } = fakeFetch(() => ({
      status: 403,
      body: { result: false, message: 'only an admin may manage users', code: 'FORBIDDEN' },
    }))
    const failure = await createDataProvider({ fetch, token: () => 't' })
      .getList('users', {
        pagination: { page: 1, perPage: 5 },
        sort: { field: 'id', order: 'ASC' },
        filter: {},
      })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(HttpError)
    expect(failure).toMatchObject({
      status: 403,
      message: 'only an admin may manage users',
      body: { code: 'FORBIDDEN' },
    })
  })

  it('keeps a body that is not JSON as the message', async () => {
    const fetch = (async () =>
      new Response('upstream down', { status: 502 })) as unknown as typeof globalThis.fetch
    await expect(
      createDataProvider({ fetch, token: () => 't' }).getOne('runs', { id: 'x' }),
    ).rejects.toMatchObject({ status: 502, message: 'upstream down' })
  })
})

describe('list helpers', () => {
  it('reads the three list shapes', () => {
    expect(normalizeList([{ id: 1 }])).toEqual({ data: [{ id: 1 }], total: 1 })
    expect(normalizeList({ data: [{ id: 1 }], total: 40 })).toEqual({
      data: [{ id: 1 }],
      total: 40,
    })
    expect(normalizeList({ data: [], count: 3 })).toEqual({ data: [], total: 3 })
  })

  it('sends time filters as epoch milliseconds', () => {
    const query = listQuery('page', {
      pagination: { page: 1, perPage: 5 },
      sort: { field: 'id', order: 'ASC' },
      filter: { started_after: '2026-01-02T03:04:05.000Z', until: 42 },
    })
    expect(query).toMatchObject({ started_after: Date.UTC(2026, 0, 2, 3, 4, 5), until: 42 })
  })

  it('leaves the page out of a list that is not paged', () => {
    expect(
      listQuery('none', {
        pagination: { page: 1, perPage: 5 },
        sort: { field: 'name', order: 'ASC' },
        filter: { q: 'x' },
      }),
    ).toEqual({})
  })

  it('searches every field of a record with q', () => {
    const rows = [
      { id: 1, name: 'alpha' },
      { id: 2, name: 'beta' },
    ]
    expect(
      pageLocally(rows, {
        pagination: { page: 1, perPage: 10 },
        sort: { field: 'id', order: 'ASC' },
        filter: { q: 'BET' },
      }),
    ).toEqual({ data: [rows[1]], total: 1 })
  })
})

describe('edits', () => {
  it('refuses to edit a record in place, as the API does', async () => {
    const { fetch, sent } = fakeFetch(() => ({ body: {} }))
    await expect(
      createDataProvider({ fetch, token: () => 't' }).update('projects', {
        id: 1,
        data: { name: 'x' },
        previousData: { id: 1 },
      }),
    ).rejects.toMatchObject({ status: 405 })
    expect(sent).toHaveLength(0)
  })
})
