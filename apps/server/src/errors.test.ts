import { EngineError, NotFoundError, StateTransitionError } from '@culm/engine'
import { StoreError } from '@culm/store'
import { describe, expect, it } from 'vitest'
import { codeOf, HTTP_STATUS, ServerError } from './errors.js'
import { zodIssues } from './http.js'

describe('the error table', () => {
  it('maps engine codes to 404, 409 and 400', () => {
    expect(HTTP_STATUS[codeOf(new NotFoundError('node(x) does not exist'))]).toBe(404)
    expect(HTTP_STATUS[codeOf(new StateTransitionError('n', 'FINISHED', 'SUSPENDED'))]).toBe(409)
    expect(HTTP_STATUS[codeOf(new EngineError('TREE_INVALID', 'bad tree'))]).toBe(400)
  })

  it('maps a store that cannot be reached to 503 and anything unknown to 500', () => {
    expect(HTTP_STATUS[codeOf(new StoreError('CONNECTION_FAILED', 'down'))]).toBe(503)
    expect(HTTP_STATUS[codeOf(new StoreError('CONFLICT', 'deadlocks'))]).toBe(503)
    expect(HTTP_STATUS[codeOf(new TypeError('x is undefined'))]).toBe(500)
    expect(new ServerError('FORBIDDEN', 'no').status).toBe(403)
  })

  it('names each field of a zod failure, unknown keys included', () => {
    expect(
      zodIssues([
        { path: ['flow_ids', 0], message: 'expected string' },
        { path: [], code: 'unrecognized_keys', keys: ['nod_id'], message: 'Unrecognized key' },
        { path: [], message: 'expected object' },
      ]),
    ).toEqual([
      { field: 'flow_ids.0', message: 'expected string' },
      { field: 'nod_id', message: 'Unrecognized key' },
      { field: 'body', message: 'expected object' },
    ])
  })
})
