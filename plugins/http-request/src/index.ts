import { defineComponent, fail } from '@culm/sdk'

interface Inputs {
  method: string
  url: string
  headers: Record<string, string>
  body: string
  expected_status: number
}

interface Outputs {
  status_code: number
  headers: Record<string, string>
  body: string
  json: unknown
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

/**
 * Sends one HTTP request through the host, which only reaches the hosts the plugin's
 * configuration allows (`allowedHosts`), and fails unless the answer has the expected status.
 */
export const httpRequest = defineComponent<Inputs, Outputs>({
  code: 'http_request',
  version: '1.0',
  name: 'HTTP request',
  group: 'Network',
  description: 'One HTTP request to an allowed host, checked against the expected status',
  timeout: 60,
  inputs: {
    type: 'object',
    properties: {
      method: { type: 'string', enum: METHODS, default: 'GET', title: 'Method' },
      url: { type: 'string', title: 'URL', minLength: 1 },
      headers: {
        type: 'object',
        additionalProperties: { type: 'string' },
        default: {},
        title: 'Headers',
      },
      body: { type: 'string', default: '', title: 'Body' },
      expected_status: {
        type: 'integer',
        minimum: 100,
        maximum: 599,
        default: 200,
        title: 'Expected status',
      },
    },
    required: ['url'],
  },
  outputs: {
    type: 'object',
    properties: {
      status_code: { type: 'integer' },
      headers: { type: 'object' },
      body: { type: 'string' },
      json: { description: 'The body parsed as JSON, or null' },
    },
  },
  async execute(ctx) {
    const { method, url, headers, body, expected_status: expected } = ctx.data
    const hasBody = body !== '' && method !== 'GET' && method !== 'HEAD'
    const response = await ctx.fetch(url, { method, headers, ...(hasBody ? { body } : {}) })
    let json: unknown = null
    if ((response.headers['content-type'] ?? '').includes('json')) {
      try {
        json = response.json()
      } catch {
        json = null
      }
    }
    ctx.setOutput('status_code', response.status)
    ctx.setOutput('headers', response.headers)
    ctx.setOutput('body', response.body)
    ctx.setOutput('json', json)
    ctx.log.info('http request', { method, url, status: response.status })
    if (response.status !== expected) {
      return fail(
        `${method} ${url} answered ${response.status}, expected ${expected}: ${response.body.slice(0, 200)}`,
      )
    }
    return true
  },
})
