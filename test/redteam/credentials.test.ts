import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../server/harness.js'

const APP = { bk_app_code: 'esb_guarded', bk_app_secret: 'esb-guarded-secret-1' }

describe('app credentials of the task API', () => {
  let t: TestServer
  beforeAll(async () => {
    t = await startTestServer('mysql', {
      credentialThrottle: { perApp: 3, perAddress: 7, windowSeconds: 60 },
    })
    expect(
      (await t.post('/api/apps', { code: APP.bk_app_code, secret: APP.bk_app_secret })).status,
    ).toBe(201)
  })
  afterAll(async () => {
    await t?.close()
  })

  const call = (credentials: Record<string, string>) =>
    t.request(
      'GET',
      `/apigw/get_task_status/1/1/?${new URLSearchParams({ ...credentials, bk_token: t.token })}`,
      {
        token: null,
      },
    )

  it('answers an unknown app code exactly as a wrong secret (same cost: apps.test.ts)', async () => {
    const wrongSecret = await call({ ...APP, bk_app_secret: 'not-the-secret-000' })
    const unknownCode = await call({ bk_app_code: 'esb_nobody', bk_app_secret: 'whatever-000000' })
    expect(wrongSecret.status).toBe(401)
    expect(unknownCode.status).toBe(401)
    const text = (answer: typeof wrongSecret) =>
      JSON.stringify(answer.body).replaceAll(/esb_guarded|esb_nobody/g, '<code>')
    expect(text(unknownCode)).toBe(text(wrongSecret))
  })

  it('answers 429 with Retry-After once an app code failed too often, before checking a secret', async () => {
    const wrong = { ...APP, bk_app_secret: 'still-not-the-secret' }
    // One failure was spent above; two more reach the allowance of three.
    expect((await call(wrong)).status).toBe(401)
    expect((await call(wrong)).status).toBe(401)
    // Even the right secret is refused now, with when to try again.
    const refused = await fetch(
      `${t.url}/apigw/get_task_status/1/1/?${new URLSearchParams({ ...APP, bk_token: t.token })}`,
    )
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await refused.json()) as { message: string }).message).toMatch(
      /too many failed credential checks for app esb_guarded/,
    )
  })

  it('answers 429 to an address that failed too often, whatever code it tries next', async () => {
    // This address failed four times above; three more reach its allowance of seven.
    for (let i = 0; i < 3; i++) {
      expect(
        (await call({ bk_app_code: `esb_guess_${i}`, bk_app_secret: 'guess-guess-guess' })).status,
      ).toBe(401)
    }
    const refused = await call({ bk_app_code: 'esb_guess_new', bk_app_secret: 'guess-guess-guess' })
    expect(refused.status).toBe(429)
    expect(refused.body.message).toMatch(/too many failed credential checks for address/)
  })
})
