import type { Context } from 'hono'
import { errorAnswer } from '../http.js'

/** The message of a successful call, as the offline API writes it. */
export const OK_MESSAGE = '后台处理正常'

/** The offline API's answer: `status` 0 and `data` on success; the HTTP status and a message on failure. */
export interface Envelope {
  status: number
  msg: string
  data: unknown
}

/** Sends `data` in the envelope with `status` 0. */
export function envelope(c: Context, data: unknown): Response {
  return c.json({ status: 0, msg: OK_MESSAGE, data } satisfies Envelope, 200)
}

/**
 * Sends an error in the envelope: `status` is the HTTP status (400, 401, 403, 404, 409, 413),
 * `msg` says what is wrong, `data` carries the error code and the fields at fault.
 */
export function envelopeError(c: Context, error: unknown): Response {
  const { status, body } = errorAnswer(error)
  const answer: Envelope = {
    status,
    msg: body.message,
    data: { code: body.code, ...(body.issues ? { issues: body.issues } : {}) },
  }
  return c.json(answer, status as 400)
}
