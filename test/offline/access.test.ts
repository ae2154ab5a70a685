import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OfflineServer, send, startOfflineServer, USER_HEADER } from './harness.js'
import { SEED_CREATE_BODY } from './seed-003.js'

const KEY = 'access'

describe('the offline API in token mode, with job files in a folder, under a prefix (MySQL)', () => {
  let scratch: ScratchDatabase
  let s: OfflineServer
  let folder: string
  let kernel: string
  let engineId: number
  let someone: { id: number; token: string }

  beforeAll(async () => {
    scratch = await createScratchDatabase()
    folder = mkdtempSync(join(tmpdir(), 'culm-offline-files-'))
    s = await startOfflineServer(scratch.url, {
      userMode: 'token',
      fileDirectory: join(folder, 'jobs'),
      prefix: '/flow',
    })
    const created = await s.server.users.create('someone', false)
    someone = { id: created.user.id, token: created.token }
    const info = await s.request('GET', `/flow/engine-manager/v1/k8s/info/?engineKey=${KEY}`, {
      token: s.token,
    })
    expect(info.body.status).toBe(0)
    engineId = info.body.data.engineId
    kernel = `/flow${info.body.data.url}/kernel/v1`
  })
  afterAll(async () => {
    await s?.close()
    await scratch?.drop()
    rmSync(folder, { recursive: true, force: true })
  })

  it('mounts the calls under the prefix only', async () => {
    const bare = await s.request('GET', `/engine-manager/v1/k8s/info/?engineKey=${KEY}`, {
      token: s.token,
    })
    expect(bare.status).toBe(404)
  })

  it('requires a token beside X-FlowEngine-UserId, of that user or of an admin', async () => {
    const path = `${kernel}/pipeline/${engineId}/list?engineKey=${KEY}`
    const without = await s.request('GET', path, { user: String(someone.id) })
    expect(without.status).toBe(401)
    expect(without.body.msg).toContain('Authorization')
    const wrongToken = await s.request('GET', path, {
      user: String(someone.id),
      token: 'culm_nope',
    })
    expect(wrongToken.status).toBe(401)
    const own = await s.request('GET', path, { user: String(someone.id), token: someone.token })
    expect(own.body).toMatchObject({ status: 0, data: [] })
    const forAdmin = await s.request('GET', path, { user: '1', token: someone.token })
    expect(forAdmin.status).toBe(403)
    expect(forAdmin.body.status).toBe(403)
    const adminForSomeone = await s.request('GET', path, {
      user: String(someone.id),
      token: s.token,
    })
    expect(adminForSomeone.body.status).toBe(0)
  })

  it('keeps job files in the folder, unexecutable, and lets nodes reference them', async () => {
    const form = new FormData()
    form.append('file', new Blob(['#!/bin/sh\necho hi\n']), '../../evil.sh')
    const uploaded = await send(`${s.url}${kernel}/template/uploadJobFileParam/1`, {
      method: 'POST',
      headers: { [USER_HEADER]: String(someone.id), authorization: `Bearer ${someone.token}` },
      body: form,
    })
    expect(uploaded.body.status).toBe(0)
    expect(uploaded.body.data.fileName).toBe('evil.sh')
    const files = readdirSync(join(folder, 'jobs'))
    expect(files).toHaveLength(1)
    const stored = join(folder, 'jobs', files[0]!)
    expect(readFileSync(stored, 'utf8')).toBe('#!/bin/sh\necho hi\n')
    expect(statSync(stored).mode & 0o777).toBe(0o600)
    const row = await s.db
      .selectFrom('culm_offline_file')
      .selectAll()
      .where('id', '=', uploaded.body.data.fileId)
      .executeTakeFirstOrThrow()
    expect(row.content).toBeNull()

    const body = JSON.parse(SEED_CREATE_BODY)
    body.data.nodes.push({ nodeId: 'job', type: 'echo', params: { input: uploaded.body.data.ref } })
    const created = await s.request(
      'POST',
      `${kernel}/pipeline/template/${engineId}/create?engineKey=${KEY}`,
      { body, user: String(someone.id), token: someone.token },
    )
    expect(created.body.status).toBe(0)
    expect(created.body.data.data.nodes[1].params.input).toBe(uploaded.body.data.ref)
  })
})
