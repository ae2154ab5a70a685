import {
  ADMIN_ACTIONS,
  ADMIN_VIEWS,
  BAMBOO_FUNCTIONS,
  LEGACY_FUNCTIONS,
  loadComponents,
  parsePluginSelection,
} from '@culm/server'
import { describe, expect, it } from 'vitest'
import { DATABASES, startTestServer } from './harness.js'
import { act, sequence } from './trees.js'

for (const database of DATABASES) {
  describe(`operations on ${database}`, () => {
    it('serves the OpenAPI document and its page to anonymous callers, with every route', async () => {
      const t = await startTestServer(database)
      try {
        const doc = await t.request('GET', '/openapi.json', { token: null })
        expect(doc.status).toBe(200)
        const paths = Object.keys(doc.body.paths)
        for (const fn of BAMBOO_FUNCTIONS) expect(paths).toContain(`/api/bamboo/${fn.name}`)
        for (const fn of LEGACY_FUNCTIONS)
          expect(paths).toContain(`/api/pipeline_engine/${fn.name}`)
        for (const action of [...ADMIN_ACTIONS, ...ADMIN_VIEWS]) {
          expect(paths).toContain(`/engine-admin/api/v1/{engine_type}/${action}/{instance_id}`)
        }
        const retry =
          doc.body.paths['/api/bamboo/retry_node'].post.requestBody.content['application/json']
        expect(retry.schema.required).toEqual(['node_id'])
        const page = await t.request('GET', '/docs', { token: null })
        expect(page.status).toBe(200)
        expect(page.body).toContain('POST /api/bamboo/run_pipeline')
        expect((await t.request('GET', '/healthz', { token: null })).body).toEqual({
          status: 'ok',
          database,
        })
      } finally {
        await t.close()
      }
    })

    it('lets a running engine step finish when it stops', async () => {
      const t = await startTestServer(database)
      const slow = act('dummy_exec_node', { time: 0.2 })
      const tree = sequence(slow)
      expect((await t.post('/api/bamboo/run_pipeline', { pipeline: tree })).status).toBe(200)
      await t.server.close()
      const state = await t.store.runtime.getState(tree.id)
      await t.close()
      expect(state?.name).toBe('FINISHED')
    })

    it('answers 503 on /healthz when the database is gone', async () => {
      const t = await startTestServer(database)
      try {
        await t.store.close()
        const health = await t.request('GET', '/healthz', { token: null })
        expect(health.status).toBe(503)
        expect(health.body).toMatchObject({ status: 'unavailable', database })
      } finally {
        await t.close()
      }
    })
  })
}

describe('plugins', () => {
  it('loads every plugin of plugins/ sandboxed, the test kit marked as test components', async () => {
    const t = await startTestServer('sqlite')
    try {
      const answer = await t.request('GET', '/api/components')
      const names = answer.body.map((p: { name: string }) => p.name)
      expect(names).toEqual(
        expect.arrayContaining(['@culm/plugin-testkit', '@culm/plugin-sleep-timer']),
      )
      const testkit = answer.body.find((p: { name: string }) => p.name === '@culm/plugin-testkit')
      expect(testkit.test).toBe(true)
      expect(testkit.components.every((c: { test: boolean }) => c.test)).toBe(true)
      const sleep = answer.body.find((p: { name: string }) => p.name === '@culm/plugin-sleep-timer')
      expect(
        sleep.components.map((c: { code: string; test: boolean }) => [c.code, c.test]),
      ).toEqual([['sleep_timer', false]])
    } finally {
      await t.close()
    }
  })

  it('loads only the plugins CULM_PLUGINS names', async () => {
    const selection = parsePluginSelection('testkit')
    expect(selection).toEqual(['@culm/plugin-testkit'])
    const loaded = await loadComponents(selection)
    try {
      expect(loaded.plugins.map((p) => p.name)).toEqual(['@culm/plugin-testkit'])
      expect(loaded.runner.info({ code: 'debug_node', version: 'legacy' })).toBeDefined()
      expect(loaded.runner.info({ code: 'sleep_timer', version: 'legacy' })).toBeUndefined()
    } finally {
      await loaded.close()
    }
    await expect(loadComponents(parsePluginSelection('no-such-plugin'))).rejects.toThrow(
      /plugins could not be loaded: [\s\S]*plugin package no-such-plugin is not installed/,
    )
  })
})
