import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { runComponent } from '@culm/sdk/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpRequest } from './index.js'

let server: Server
let host = ''

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      if (request.url === '/missing') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('no such thing')
        return
      }
      response.writeHead(request.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json',
      })
      response.end(
        JSON.stringify({
          method: request.method,
          body,
          auth: request.headers.authorization ?? null,
        }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const inputs = (extra: Record<string, unknown>) => ({
  method: 'GET',
  headers: {},
  body: '',
  expected_status: 200,
  ...extra,
})

describe('http_request', () => {
  it('sends the request and outputs status, headers, body and parsed JSON', async () => {
    const result = await runComponent(httpRequest, {
      inputs: inputs({
        method: 'POST',
        url: `http://${host}/things`,
        headers: { authorization: 'Bearer t' },
        body: '{"a":1}',
        expected_status: 201,
      }),
      allowedHosts: [host],
    })
    expect(result.success).toBe(true)
    expect(result.outputs).toMatchObject({
      status_code: 201,
      json: { method: 'POST', body: '{"a":1}', auth: 'Bearer t' },
      headers: { 'content-type': 'application/json' },
    })
  })

  it('fails when the status is not the expected one', async () => {
    const result = await runComponent(httpRequest, {
      inputs: inputs({ url: `http://${host}/missing` }),
      allowedHosts: [host],
    })
    expect(result).toMatchObject({
      success: false,
      outputs: { status_code: 404, body: 'no such thing' },
    })
    expect(result.error).toBe(
      `GET http://${host}/missing answered 404, expected 200: no such thing`,
    )
  })

  it('fails a request to a host the configuration does not allow', async () => {
    const result = await runComponent(httpRequest, {
      inputs: inputs({ url: `http://${host}/things` }),
      allowedHosts: ['example.com'],
    })
    expect(result.success).toBe(false)
    expect(result.error).toBe(`TypeError: fetch to ${host} is not allowed for this plugin`)
  })
})
