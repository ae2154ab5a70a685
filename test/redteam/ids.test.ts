import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../server/harness.js'

describe('ids and counts in paths and queries are decimal digits only', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer('mysql')
  })
  afterAll(async () => {
    await t?.close()
  })

  it('refuses 0x1, " 1", 1e0 and +1 as a user id instead of reading user 1', async () => {
    for (const id of ['0x1', '%201', '1e0', '%2B1', '1.0']) {
      const answer = await t.post(`/api/users/${id}/tokens`)
      expect(answer.status, id).toBe(400)
      expect(answer.body.issues?.[0]?.message ?? answer.body.message, id).toMatch(/decimal digits/)
    }
    expect((await t.post('/api/users/1/tokens')).status).toBe(201)
  })

  it('refuses a page offset written otherwise', async () => {
    const project = await t.post('/api/projects', { name: 'ids', bk_biz_id: 4242 })
    expect(project.status).toBe(201)
    const list = await t.request('GET', `/api/projects/${project.body.id}/operations?offset=0x10`)
    expect(list.status).toBe(400)
    const fine = await t.request('GET', `/api/projects/${project.body.id}/operations?offset=0`)
    expect(fine.status).toBe(200)
  })
})
