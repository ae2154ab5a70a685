import { createScratchDatabase, type ScratchDatabase } from '@culm/store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OfflineServer, send, startOfflineServer, USER_HEADER, until } from './harness.js'
import { SEED_CREATE_BODY } from './seed-003.js'

// biome-ignore lint/suspicious/noExplicitAny: templates and answers are read by field
type Json = any

interface Case {
  name: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
  path: string
  /** A JSON body, or a string sent as it is. */
  body?: unknown
  headers?: Record<string, string>
  user?: string | null
  form?: FormData
  /** The HTTP status expected; any 4xx when not given. */
  status?: number
  /** Words the message must contain. */
  says?: string
}

const KEY = 'malformed'
const TABLES = [
  'culm_offline_engine',
  'culm_offline_template',
  'culm_offline_run',
  'culm_offline_file',
  'culm_server_pipeline',
] as const

/** The seed's template with one echo job, changed by `change`. */
function template(change: (body: Json) => void = () => {}): Json {
  const body = JSON.parse(SEED_CREATE_BODY)
  body.pipelineKey = 'sweep'
  body.data.nodes.push({
    nodeId: 'job',
    type: 'echo',
    inputSlots: [{ id: 'in' }],
    outputSlots: [{ id: 'out' }],
  })
  body.data.edges = [{ source: 'start_node', target: 'job' }]
  change(body)
  return body
}

describe('a malformed-request sweep of the offline API on MySQL', () => {
  let scratch: ScratchDatabase
  let s: OfflineServer
  let kernel: string
  let engineId: number
  let pipelineId: number
  let otherId: number
  let runId: number

  const snapshot = async () => {
    const out: Record<string, unknown[]> = {}
    for (const table of TABLES) {
      out[table] = await s.db
        .selectFrom(table)
        .selectAll()
        .orderBy(table === 'culm_server_pipeline' ? 'pipeline_id' : 'id')
        .execute()
    }
    return out
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase()
    s = await startOfflineServer(scratch.url, { fileLimit: 1024 })
    const info = await s.request('GET', `/engine-manager/v1/k8s/info/?engineKey=${KEY}`)
    engineId = info.body.data.engineId
    kernel = `${info.body.data.url}/kernel/v1`
    const q = `engineKey=${KEY}`
    pipelineId = (
      await s.request('POST', `${kernel}/pipeline/template/${engineId}/create?${q}`, {
        body: template(),
      })
    ).body.data.id
    otherId = (
      await s.request('POST', `${kernel}/pipeline/template/${engineId}/create?${q}`, {
        body: template((b) => {
          b.pipelineKey = 'other'
        }),
      })
    ).body.data.id
    runId = (await s.request('POST', `${kernel}/pipeline/${engineId}/${pipelineId}/start?${q}`))
      .body.data.pipelineRunId
    await until('the run to finish', async () => {
      const page = await s.request('GET', `${kernel}/pipeline/${pipelineId}/historyList?${q}`)
      return page.body.data.list[0]?.status === 'FINISHED' ? true : undefined
    })
  })
  afterAll(async () => {
    await s?.close()
    await scratch?.drop()
  })

  it('answers every malformed call with a 4xx envelope naming the problem, and changes nothing', async () => {
    const q = `engineKey=${KEY}`
    const create = `${kernel}/pipeline/template/${engineId}/create?${q}`
    const update = `${kernel}/pipeline/template/${engineId}/update?${q}`
    const start = `${kernel}/pipeline/${engineId}/${pipelineId}/start?${q}`
    const upload = `${kernel}/template/uploadJobFileParam/1`
    const bad = (name: string, change: (body: Json) => void, says: string, status = 400): Case => ({
      name: `create: ${name}`,
      method: 'POST',
      path: create,
      body: template((b) => {
        b.pipelineKey = 'new-one'
        change(b)
      }),
      status,
      says,
    })
    const deep: Json = {}
    let cursor = deep
    for (let i = 0; i < 300; i++) cursor = cursor.x = {}
    const bigForm = new FormData()
    bigForm.append('file', new Blob(['x'.repeat(2048)]), 'big.bin')
    const hugeForm = new FormData()
    hugeForm.append('file', new Blob(['x'.repeat(200 * 1024)]), 'huge.bin')
    const noFile = new FormData()
    noFile.append('other', 'text')
    const cases: Case[] = [
      // who calls
      {
        name: 'no user header',
        method: 'GET',
        path: `${kernel}/system/getParam?${q}`,
        user: null,
        status: 401,
        says: USER_HEADER,
      },
      {
        name: 'an unknown user',
        method: 'GET',
        path: `${kernel}/pipeline/${engineId}/list?${q}`,
        user: '12345',
        status: 401,
      },
      {
        name: 'a user header of 1000 characters',
        method: 'GET',
        path: `${kernel}/system/getParam?${q}`,
        user: 'u'.repeat(1000),
        status: 401,
      },
      // 01, 02: engines
      {
        name: 'info without engineKey',
        method: 'GET',
        path: '/engine-manager/v1/k8s/info/',
        status: 400,
        says: 'engineKey',
      },
      {
        name: 'info with an empty engineKey',
        method: 'GET',
        path: '/engine-manager/v1/k8s/info/?engineKey=',
        status: 400,
      },
      {
        name: 'info with a slash in engineKey',
        method: 'GET',
        path: '/engine-manager/v1/k8s/info/?engineKey=a%2Fb',
        status: 400,
      },
      {
        name: 'info with a long engineKey',
        method: 'GET',
        path: `/engine-manager/v1/k8s/info/?engineKey=${'k'.repeat(65)}`,
        status: 400,
      },
      {
        name: 'an unknown engine id',
        method: 'GET',
        path: `/engine/999/${KEY}/kernel/v1/system/getParam?${q}`,
        status: 404,
      },
      {
        name: 'an engine id that is not a number',
        method: 'GET',
        path: `/engine/x1/${KEY}/kernel/v1/system/getParam`,
        status: 400,
      },
      {
        name: 'an engine key of another engine',
        method: 'GET',
        path: `/engine/${engineId}/nope/kernel/v1/system/getParam`,
        status: 404,
      },
      {
        name: 'an engineKey query that differs',
        method: 'GET',
        path: `${kernel}/system/getParam?engineKey=nope`,
        status: 400,
        says: 'engineKey',
      },
      {
        name: 'an engineId query that differs',
        method: 'GET',
        path: `${kernel}/pipeline/${pipelineId}/historyList?engineId=${engineId + 1}`,
        status: 400,
        says: 'engineId',
      },
      // 03: create
      {
        name: 'create: not JSON',
        method: 'POST',
        path: create,
        body: '{"data":',
        status: 400,
        says: 'JSON',
      },
      { name: 'create: no body', method: 'POST', path: create, status: 400 },
      { name: 'create: an array', method: 'POST', path: create, body: [1, 2], status: 400 },
      {
        name: 'create: no data',
        method: 'POST',
        path: create,
        body: { pipelineKey: 'x' },
        status: 400,
        says: 'data',
      },
      {
        name: 'create: nested 300 deep',
        method: 'POST',
        path: create,
        body: template((b) => {
          b.pipelineKey = 'deep'
          b.data.deep = deep
        }),
        status: 400,
      },
      {
        name: 'create: the engine id of the path differs',
        method: 'POST',
        path: `${kernel}/pipeline/template/${engineId + 7}/create?${q}`,
        body: template(),
        status: 400,
      },
      bad(
        'no nodes',
        (b) => {
          b.data.nodes = []
        },
        'data.nodes',
      ),
      bad(
        'nodes not a list',
        (b) => {
          b.data.nodes = 'x'
        },
        'data.nodes',
      ),
      bad(
        'two start nodes',
        (b) => {
          b.data.nodes.push({ nodeId: 'start2', type: 'START' })
        },
        'START',
      ),
      bad(
        'no start node',
        (b) => {
          b.data.nodes.shift()
          b.data.edges = []
        },
        'START',
      ),
      bad(
        'a duplicate node id',
        (b) => {
          b.data.nodes.push({ nodeId: 'job', type: 'echo' })
        },
        'appears twice',
      ),
      bad(
        'a node id that is not a string',
        (b) => {
          b.data.nodes[1].nodeId = 7
        },
        'nodeId',
      ),
      bad(
        'an unknown component',
        (b) => {
          b.data.nodes[1].type = 'no_such_component'
        },
        'no_such_component',
      ),
      bad(
        'an unknown componentKey',
        (b) => {
          b.data.nodes[1].componentKey = 'nope'
        },
        'componentKey',
      ),
      bad(
        'a type that is not a string',
        (b) => {
          b.data.nodes[1].type = 5
        },
        'type',
      ),
      bad(
        'an edge to an unknown node',
        (b) => {
          b.data.edges.push({ source: 'job', target: 'ghost' })
        },
        'data.edges.1.target',
      ),
      bad(
        'an edge without a source',
        (b) => {
          b.data.edges.push({ target: 'job' })
        },
        'data.edges.1.source',
      ),
      bad(
        'an edge into the start node',
        (b) => {
          b.data.edges.push({ source: 'job', target: 'start_node' })
        },
        'start',
      ),
      bad(
        'an edge from a node to itself',
        (b) => {
          b.data.edges.push({ source: 'job', target: 'job' })
        },
        'itself',
      ),
      bad(
        'an edge from an unknown slot',
        (b) => {
          b.data.edges = [{ source: { nodeId: 'start_node', slotId: 'nope' }, target: 'job' }]
        },
        'slot',
      ),
      bad(
        'an edge into an output slot',
        (b) => {
          b.data.edges = [{ source: 'start_node', target: { cell: 'job', port: 'out' } }]
        },
        'input slot',
      ),
      bad(
        'a cycle',
        (b) => {
          b.data.nodes.push({ nodeId: 'job2', type: 'echo' })
          b.data.edges.push({ source: 'job', target: 'job2' }, { source: 'job2', target: 'job' })
        },
        'cycle',
      ),
      bad(
        'more than 1000 nodes',
        (b) => {
          for (let i = 0; i < 1000; i++) b.data.nodes.push({ nodeId: `n${i}`, type: 'echo' })
        },
        'at most 1000',
      ),
      bad(
        'edges not a list',
        (b) => {
          b.data.edges = {}
        },
        'data.edges',
      ),
      bad(
        'slots not a list',
        (b) => {
          b.data.nodes[1].inputSlots = 'in'
        },
        'inputSlots',
      ),
      bad(
        'a slot without an id',
        (b) => {
          b.data.nodes[1].inputSlots = [{}]
        },
        'inputSlots.0.id',
      ),
      bad(
        'params that are a string',
        (b) => {
          b.data.nodes[1].params = 'x=1'
        },
        'params',
      ),
      bad(
        'no name',
        (b) => {
          delete b.data.name
        },
        'data.name',
      ),
      bad(
        'a pipelineKey with spaces',
        (b) => {
          b.pipelineKey = 'a b'
        },
        'pipelineKey',
      ),
      bad(
        'a pipelineKey taken',
        (b) => {
          b.pipelineKey = 'sweep'
        },
        'pipelineKey',
        409,
      ),
      bad(
        'an unknown runMode',
        (b) => {
          b.data.executionConfig.runMode = 'WEEKLY'
        },
        'runMode',
      ),
      bad(
        'CRON without an expression',
        (b) => {
          b.data.executionConfig.runMode = 'CRON'
        },
        'cronExpression',
      ),
      bad(
        'a wrong cron expression',
        (b) => {
          Object.assign(b.data.executionConfig, { runMode: 'CRON', cronExpression: '61 * * * *' })
        },
        'cronExpression',
      ),
      bad(
        'an unknown time zone',
        (b) => {
          Object.assign(b.data.executionConfig, {
            runMode: 'CRON',
            cronExpression: '0 0 2 * * ?',
            timezone: 'Europe/Atlantis',
          })
        },
        'timezone',
      ),
      bad(
        'INTERVAL of 0',
        (b) => {
          b.data.executionConfig.runMode = 'INTERVAL'
        },
        'interval',
      ),
      bad(
        'an unknown interval unit',
        (b) => {
          Object.assign(b.data.executionConfig, {
            runMode: 'INTERVAL',
            interval: 1,
            intervalUnit: 'FORTNIGHT',
          })
        },
        'intervalUnit',
      ),
      bad(
        'a negative timeOut',
        (b) => {
          b.data.executionConfig.timeOut = -1
        },
        'timeOut',
      ),
      bad(
        'a timeOut that is text',
        (b) => {
          b.data.executionConfig.timeOut = '10'
        },
        'timeOut',
      ),
      bad(
        'too many retries',
        (b) => {
          b.data.executionConfig.retryCount = 11
        },
        'retryCount',
      ),
      bad(
        'a startAt that is no time',
        (b) => {
          b.data.executionConfig.startAt = 'yesterday'
        },
        'startAt',
      ),
      bad(
        'an executionConfig that is a list',
        (b) => {
          b.data.executionConfig = []
        },
        'executionConfig',
      ),
      bad(
        'a reference to a file never uploaded',
        (b) => {
          b.data.nodes[1].params = { f: 'culm-file:999' }
        },
        '999',
      ),
      // 04: files
      {
        name: 'upload: not multipart',
        method: 'POST',
        path: upload,
        body: { file: 'x' },
        status: 415,
      },
      {
        name: 'upload: no file field',
        method: 'POST',
        path: upload,
        form: noFile,
        status: 400,
        says: 'file',
      },
      {
        name: 'upload: a file over the limit',
        method: 'POST',
        path: upload,
        form: bigForm,
        status: 413,
      },
      {
        name: 'upload: a broken multipart body',
        method: 'POST',
        path: upload,
        body: '--x\r\nbroken',
        headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
        status: 400,
      },
      {
        name: 'upload: a body over the limit',
        method: 'POST',
        path: upload,
        form: hugeForm,
        status: 413,
      },
      // 05, 06: reads
      {
        name: 'list: an engine id that differs',
        method: 'GET',
        path: `${kernel}/pipeline/${engineId + 1}/list?${q}`,
        status: 400,
      },
      {
        name: 'get: a pipeline id that is no number',
        method: 'GET',
        path: `${kernel}/pipeline/template/${engineId}/abc/get?${q}`,
        status: 400,
      },
      {
        name: 'get: pipeline 0',
        method: 'GET',
        path: `${kernel}/pipeline/template/${engineId}/0/get?${q}`,
        status: 400,
      },
      {
        name: 'get: an unknown pipeline',
        method: 'GET',
        path: `${kernel}/pipeline/template/${engineId}/99999/get?${q}`,
        status: 404,
      },
      {
        name: 'get: a pipeline id in hex',
        method: 'GET',
        path: `${kernel}/pipeline/template/${engineId}/0x1/get?${q}`,
        status: 400,
      },
      // 07: update
      {
        name: 'update: no id',
        method: 'PUT',
        path: update,
        body: template((b) => {
          delete b.id
        }),
        status: 400,
        says: 'id',
      },
      {
        name: 'update: an id that is text',
        method: 'PUT',
        path: update,
        body: template((b) => {
          b.id = String(pipelineId)
        }),
        status: 400,
      },
      {
        name: 'update: an unknown id',
        method: 'PUT',
        path: update,
        body: template((b) => {
          b.id = 99999
        }),
        status: 404,
      },
      {
        name: 'update: a cycle',
        method: 'PUT',
        path: update,
        body: template((b) => {
          b.id = pipelineId
          b.data.edges.push({ source: 'job', target: 'job' })
        }),
        status: 400,
      },
      {
        name: 'update: the key of another pipeline',
        method: 'PUT',
        path: update,
        body: template((b) => {
          b.id = pipelineId
          b.pipelineKey = 'other'
        }),
        status: 409,
      },
      { name: 'update: not JSON', method: 'PUT', path: update, body: 'nope', status: 400 },
      // 08, 09: schedules and runs
      {
        name: 'start: once=maybe',
        method: 'POST',
        path: `${start}&once=maybe`,
        body: { data: ' ' },
        status: 400,
        says: 'once',
      },
      {
        name: 'start: once=false with a list',
        method: 'POST',
        path: `${start}&once=false`,
        body: [1],
        status: 400,
      },
      {
        name: 'start: parameters of an unknown node',
        method: 'POST',
        path: start,
        body: { ghost: { a: 1 } },
        status: 400,
        says: 'ghost',
      },
      {
        name: 'start: parameters of the start node',
        method: 'POST',
        path: start,
        body: { start_node: { a: 1 } },
        status: 400,
      },
      {
        name: 'start: parameters that are a list',
        method: 'POST',
        path: start,
        body: [{ job: {} }],
        status: 400,
      },
      {
        name: 'start: node parameters that are text',
        method: 'POST',
        path: start,
        body: { job: 'a=1' },
        status: 400,
        says: 'job',
      },
      {
        name: 'start: a file never uploaded',
        method: 'POST',
        path: start,
        body: { job: { f: 'culm-file:4242' } },
        status: 400,
      },
      {
        name: 'start: an unknown pipeline',
        method: 'POST',
        path: `${kernel}/pipeline/${engineId}/99999/start?${q}`,
        body: {},
        status: 404,
      },
      {
        name: 'stop: an unknown pipeline',
        method: 'POST',
        path: `${kernel}/pipeline/${engineId}/99999/stop?${q}`,
        status: 404,
      },
      // 10, 11, 12: history and runs
      {
        name: 'history: page 0',
        method: 'GET',
        path: `${kernel}/pipeline/${pipelineId}/historyList?page=0&size=10&${q}`,
        status: 400,
        says: 'page',
      },
      {
        name: 'history: size 1000',
        method: 'GET',
        path: `${kernel}/pipeline/${pipelineId}/historyList?page=1&size=1000&${q}`,
        status: 400,
        says: 'size',
      },
      {
        name: 'history: a page that is text',
        method: 'GET',
        path: `${kernel}/pipeline/${pipelineId}/historyList?page=one&${q}`,
        status: 400,
      },
      {
        name: 'history: an unknown pipeline',
        method: 'GET',
        path: `${kernel}/pipeline/99999/historyList?${q}`,
        status: 404,
      },
      {
        name: 'stopHistory: an unknown run',
        method: 'DELETE',
        path: `${kernel}/pipeline/99999/stopHistory?${q}`,
        status: 404,
      },
      {
        name: 'stopHistory: a finished run',
        method: 'DELETE',
        path: `${kernel}/pipeline/${runId}/stopHistory?${q}`,
        status: 409,
      },
      {
        name: 'stopHistory: a run id that is text',
        method: 'DELETE',
        path: `${kernel}/pipeline/x/stopHistory?${q}`,
        status: 400,
      },
      {
        name: 'resumeHistory: a finished run',
        method: 'POST',
        path: `${kernel}/pipeline/${runId}/resumeHistory?${q}`,
        status: 409,
        says: 'FINISHED',
      },
      {
        name: 'resumeHistory: an unknown run',
        method: 'POST',
        path: `${kernel}/pipeline/99999/resumeHistory?${q}`,
        status: 404,
      },
      // methods and paths
      { name: 'create with GET', method: 'GET', path: create, status: 404 },
      {
        name: 'list with DELETE',
        method: 'DELETE',
        path: `${kernel}/pipeline/${engineId}/list?${q}`,
        status: 404,
      },
      { name: 'update with PATCH', method: 'PATCH', path: update, body: template(), status: 404 },
      {
        name: 'an unknown kernel call',
        method: 'GET',
        path: `${kernel}/pipeline/nothing/here/at/all`,
        status: 404,
      },
      {
        name: 'an unknown engine-manager call',
        method: 'GET',
        path: '/engine-manager/v2/other',
        status: 404,
      },
    ]
    const before = await snapshot()
    const wrong: string[] = []
    for (const c of cases) {
      const answer = c.form
        ? await send(`${s.url}${c.path}`, {
            method: c.method,
            headers: { [USER_HEADER]: '1' },
            body: c.form,
          })
        : await s.request(c.method, c.path, {
            ...(c.body !== undefined ? { body: c.body } : {}),
            ...(c.headers ? { headers: c.headers } : {}),
            ...(c.user !== undefined ? { user: c.user } : {}),
          })
      const b = answer.body
      const fine =
        answer.status >= 400 &&
        answer.status < 500 &&
        (c.status === undefined || answer.status === c.status) &&
        typeof b === 'object' &&
        b.status === answer.status &&
        typeof b.msg === 'string' &&
        b.msg.length > 0 &&
        typeof b.data?.code === 'string' &&
        (c.says === undefined || b.msg.includes(c.says))
      if (!fine) wrong.push(`${c.name}: ${answer.status} ${JSON.stringify(b).slice(0, 300)}`)
    }
    expect(wrong).toEqual([])
    expect(await snapshot()).toEqual(before)
    expect(otherId).toBeGreaterThan(pipelineId)
  })

  it('renames two templates to one key at once: one is renamed, the other refused with 409', async () => {
    const q = `engineKey=${KEY}`
    const detail = async (id: number) =>
      (await s.request('GET', `${kernel}/pipeline/template/${engineId}/${id}/get?${q}`)).body.data
    const bodies = await Promise.all([pipelineId, otherId].map(detail))
    for (const body of bodies) body.pipelineKey = 'renamed-at-once'
    const answers = await Promise.all(
      bodies.map((body) =>
        s.request('PUT', `${kernel}/pipeline/template/${engineId}/update?${q}`, { body }),
      ),
    )
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409])
    const refused = answers.find((a) => a.status === 409)!
    expect(refused.body).toMatchObject({ status: 409 })
    expect(refused.body.msg).toContain('pipelineKey renamed-at-once is taken')
    const keys = (await Promise.all([pipelineId, otherId].map(detail))).map((t) => t.pipelineKey)
    expect(keys.filter((key) => key === 'renamed-at-once')).toHaveLength(1)
  })
})
