import { expect } from 'vitest'
import { type Answer, startTestServer, type TestDatabase, type TestServer } from './harness.js'

/** The app every task suite calls with, and one on the whitelist. */
export const APP = { bk_app_code: 'esb_test', bk_app_secret: 'esb-test-secret-0001' }
export const TRUSTED_APP = { bk_app_code: 'esb_trusted', bk_app_secret: 'esb-trusted-secret-01' }

/** A test server with two apps, two projects (business 1 and 2) and a member of each. */
export interface TaskServer extends TestServer {
  alice: { id: number; token: string }
  bob: { id: number; token: string }
  projectA: { id: number; bk_biz_id: number }
  projectB: { id: number; bk_biz_id: number }
  /**
   * Calls the task API as alice through app esb_test (credentials in the body for POST, in the
   * query string for GET) unless `credentials` says otherwise (null: none).
   */
  gw(
    method: 'GET' | 'POST',
    path: string,
    params?: Record<string, unknown>,
    credentials?: Record<string, string> | null,
    headers?: Record<string, string>,
  ): Promise<Answer>
  /** Moves the clock a second at a time until the task leaves RUNNING (at most `seconds`). */
  runOut(taskPath: string, seconds?: number): Promise<string>
}

function ok(answer: Answer, status = 200): Answer {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status)
  return answer
}

/** Starts the real server and registers the apps, users, projects and memberships. */
export async function startTaskServer(database: TestDatabase): Promise<TaskServer> {
  const t = await startTestServer(database)
  ok(await t.post('/api/apps', { code: APP.bk_app_code, secret: APP.bk_app_secret }), 201)
  ok(
    await t.post('/api/apps', {
      code: TRUSTED_APP.bk_app_code,
      secret: TRUSTED_APP.bk_app_secret,
      whitelisted: true,
    }),
    201,
  )
  const user = async (name: string) => {
    const created = ok(await t.post('/api/users', { name }), 201).body
    return { id: created.user.id as number, token: created.token as string }
  }
  const alice = await user('alice')
  const bob = await user('bob')
  const project = async (name: string, bizId: number, member: number) => {
    const created = ok(await t.post('/api/projects', { name, bk_biz_id: bizId }), 201).body
    ok(await t.post(`/api/projects/${created.id}/members`, { user_id: member }))
    return { id: created.id as number, bk_biz_id: bizId }
  }
  // Business ids differ from project ids, so that a mix-up of scopes shows.
  const projectA = await project('project A', 7, alice.id)
  const projectB = await project('project B', 8, bob.id)
  const gw: TaskServer['gw'] = (method, path, params = {}, credentials, headers) => {
    const creds = credentials === undefined ? { ...APP, bk_token: alice.token } : credentials
    if (method === 'GET') {
      const query = new URLSearchParams()
      for (const [key, value] of Object.entries({ ...params, ...(creds ?? {}) })) {
        query.set(key, String(value))
      }
      const qs = query.toString()
      return t.request('GET', `${path}${qs ? `?${qs}` : ''}`, {
        token: null,
        ...(headers ? { headers } : {}),
      })
    }
    return t.request('POST', path, {
      token: null,
      body: { ...params, ...(creds ?? {}) },
      ...(headers ? { headers } : {}),
    })
  }
  return {
    ...t,
    alice,
    bob,
    projectA,
    projectB,
    gw,
    runOut: async (taskPath, seconds = 60) => {
      await t.settle()
      let state = ''
      for (let second = 0; second <= seconds; second++) {
        state = (await gw('GET', `/apigw/get_task_status/${taskPath}/`)).body.data.state
        if (state !== 'RUNNING') break
        await t.advance(1000)
      }
      return state
    },
  }
}
