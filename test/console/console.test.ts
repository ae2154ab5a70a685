// The browser scenarios run under Vitest and drive Chromium with Playwright's library API rather
// than the @playwright/test runner: they start the real server in-process on a fresh MySQL
// database with test/server/harness.ts (as the HTTP suites do, so a scenario can also call the API
// and wait for the engine), their results are counted in the Vitest summary that CI sums, and a
// failure fails `npm test` like any other suite.
import { join } from 'node:path'
import { MAX_STEP_ATTEMPTS } from '@culm/engine'
import type { Browser, Page } from '@playwright/test'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../server/harness.js'
import { act, exclusive, parallel } from '../server/trees.js'
import {
  ARTIFACTS,
  buildConsole,
  confirmDialog,
  graphNode,
  launch,
  loggedIn,
  nodeAction,
  nodeColour,
  openRun,
  waitForNodeState,
  waitForRunState,
} from './browser.js'
import { engineSequence, platformSequence, showcaseTree, step } from './trees.js'

const START = {
  bamboo_engine: '/api/bamboo/run_pipeline',
  pipeline_engine: '/api/pipeline_engine/start_pipeline',
} as const
const DENIED = 'You have no permission to call pipeline engine admin api.'
/** The colours the graph draws states with (apps/console/src/states.ts). */
const COLOURS = {
  RUNNING: 'rgb(100, 181, 246)',
  FINISHED: 'rgb(129, 199, 132)',
  FAILED: 'rgb(229, 115, 115)',
}

describe('the console in a browser, on MySQL', { timeout: 90_000 }, () => {
  let t: TestServer
  let browser: Browser
  let admin: Page
  let bob: { id: number; token: string }

  beforeAll(async () => {
    await buildConsole()
    t = await startTestServer('mysql', { realClock: true })
    const created = await t.post('/api/users', { name: 'bob' })
    bob = { id: created.body.user.id, token: created.body.token }
    browser = await launch()
    admin = await loggedIn(browser, t.url, t.token)
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  /** Starts an engine-format tree as a direct run (`run_pipeline`), as the admin or another user. */
  async function run(tree: { id: string }, token?: string): Promise<string> {
    const answer = await t.post('/api/bamboo/run_pipeline', { pipeline: tree }, token)
    expect(answer.body).toMatchObject({ result: true })
    return tree.id
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

  it('refuses an unknown token and logs in with a real one', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${t.url}/console/`)
    await page.getByLabel('API token').fill('culm_not-a-token')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByText('The server does not accept this token').waitFor()
    await page.getByLabel('API token').fill(t.token)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('menuitem', { name: 'Runs', exact: true }).waitFor()
    expect(page.url()).not.toContain(t.token)
    await context.close()
  })

  it('creates a project and a task from a tree, shows a problem at its node, starts it and watches the graph change colour', async () => {
    const page = admin
    await page.goto(`${t.url}/console/#/projects/create`)
    await page.getByLabel('Name').fill('console')
    await page.getByLabel('Business id').fill('4242')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('link', { name: 'Create task' }).click()
    await page.getByLabel('Task name').fill('nightly')
    const editor = page.getByLabel('Pipeline tree (platform format)')

    // Given a tree with a component no plugin provides, validation shows the problem at its node.
    const broken = platformSequence([['no_such_component', 'mystery step', {}]])
    await editor.fill(JSON.stringify(broken, null, 2))
    await page.getByRole('button', { name: 'Validate' }).click()
    await page.getByTestId('tree-problems').waitFor()
    const problem = graphNode(page, 'mystery step').getByTestId('node-problems')
    await problem.waitFor()
    expect(await problem.textContent()).toContain('no_such_component')

    // When the tree is fixed, the task is created, then started from the project's task list.
    const tree = platformSequence([
      ['callback_node', 'wait for go', {}],
      ['debug_node', 'after go', { say: 'hi' }],
    ])
    await editor.fill(JSON.stringify(tree, null, 2))
    await page.getByRole('button', { name: 'Create task' }).click()
    await page.getByRole('cell', { name: 'nightly' }).waitFor()
    await page.getByRole('button', { name: 'Start' }).click()
    await page.getByTestId('run-graph').waitFor()
    await page.locator('[data-testid="live-status"][data-live="open"]').waitFor()

    // Then the waiting node is drawn running, the next one not reached.
    await waitForNodeState(page, 'wait for go', 'RUNNING')
    expect(await nodeColour(page, 'wait for go')).toBe(COLOURS.RUNNING)
    expect(await graphNode(page, 'after go').getAttribute('data-state')).toBe('')

    // When the node is called back through the API, the page turns it and the rest green live.
    const runId = decodeURIComponent(page.url().split('/runs/')[1]!.split('/')[0]!)
    const graph = await t.request('GET', `/api/runs/${runId}/graph`)
    const waiting = Object.values(
      graph.body.states as Record<string, { node_id: string; state: string }>,
    ).find((s) => s.state === 'RUNNING' && s.node_id !== runId)!
    const called = await t.post(`/api/bamboo/callback`, {
      node_id: waiting.node_id,
      version: (graph.body.states[waiting.node_id] as { version: string }).version,
      data: { bit: 1 },
    })
    expect(called.body.result).toBe(true)
    await waitForNodeState(page, 'wait for go', 'FINISHED')
    await waitForNodeState(page, 'after go', 'FINISHED')
    await waitForRunState(page, 'FINISHED')
    expect(await nodeColour(page, 'after go')).toBe(COLOURS.FINISHED)
    await shot(page, 'run-finished')
  })

  it('reconnects its event stream when the connection drops, and stays live', async () => {
    const waiting = step('callback_node', 'reconnect wait')
    const runId = await run(engineSequence(waiting, step('debug_node', 'reconnect after')))
    const page = await loggedIn(browser, t.url, t.token)
    let streams = 0
    await page.route('**/api/runs/*/events', async (route) => {
      streams += 1
      if (streams === 1) await route.abort('connectionreset')
      else await route.continue()
    })
    await openRun(page, t.url, runId)
    expect(streams).toBeGreaterThanOrEqual(2)
    await waitForNodeState(page, 'reconnect wait', 'RUNNING')
    const graph = await t.request('GET', `/api/runs/${runId}/graph`)
    const called = await t.post('/api/bamboo/callback', {
      node_id: waiting.id,
      version: graph.body.states[waiting.id].version,
      data: { bit: 1 },
    })
    expect(called.body.result).toBe(true)
    await waitForNodeState(page, 'reconnect after', 'FINISHED')
    await page.context().close()
  })

  it('retries a failed node with inputs edited in its schema form', async () => {
    const runId = await run(engineSequence(step('fail_ctrl_node', 'flaky', { bit: 0 })))
    await openRun(admin, t.url, runId)
    await waitForNodeState(admin, 'flaky', 'FAILED')
    expect(await nodeColour(admin, 'flaky')).toBe(COLOURS.FAILED)
    await shot(admin, 'run-failed')
    const { description, outcome } = await nodeAction(admin, 'flaky', 'Retry', async (page) => {
      const bit = page.getByRole('dialog').getByLabel('bit', { exact: false })
      await bit.fill('1')
    })
    expect(description).toContain('bamboo_engine')
    expect(outcome).toBe('Done: success')
    await waitForNodeState(admin, 'flaky', 'FINISHED')
    await waitForRunState(admin, 'FINISHED')
    expect(await graphNode(admin, 'flaky').textContent()).toContain('retry 1')
  })

  it('skips a failed node', async () => {
    const runId = await run(
      engineSequence(step('fail_ctrl_node', 'broken', { bit: 0 }), step('debug_node', 'next')),
    )
    await openRun(admin, t.url, runId)
    await waitForNodeState(admin, 'broken', 'FAILED')
    const { description, outcome } = await nodeAction(admin, 'broken', 'Skip')
    expect(description).toContain('Skip failed node')
    expect(outcome).toBe('Done: success')
    await waitForNodeState(admin, 'broken', 'FINISHED')
    await waitForNodeState(admin, 'next', 'FINISHED')
    expect(await graphNode(admin, 'broken').textContent()).toContain('skipped')
  })

  it('skips a failed exclusive gateway along the flow chosen in its dialog', async () => {
    const { tree, gateway, branches } = exclusive(5, ['${value} > 10', '${value} > 20'])
    const runId = await run(tree)
    await openRun(admin, t.url, runId)
    const drawn = admin.getByTestId(`node-${gateway.id}`)
    await admin.locator(`[data-testid="node-${gateway.id}"][data-state="FAILED"]`).waitFor()
    await drawn.click()
    await admin.getByTestId('node-detail').getByRole('button', { name: 'Skip gateway' }).click()
    const dialog = admin.getByRole('dialog')
    await dialog.getByRole('radio', { name: /\$\{value\} > 20/ }).check()
    const { description, outcome } = await confirmDialog(admin)
    expect(description).toContain('exclusive gateway')
    expect(outcome).toBe('Done: success')
    await admin.locator(`[data-testid="node-${branches[1]!.id}"][data-state="FINISHED"]`).waitFor()
    expect(await admin.getByTestId(`node-${branches[0]!.id}`).getAttribute('data-state')).toBe('')
    await waitForRunState(admin, 'FINISHED')
  })

  it('skips a failed conditional parallel gateway along the chosen flows to its converge', async () => {
    const a = act('debug_node')
    const b = act('debug_node')
    const { tree, gateway, converge } = parallel([a, b], 'cpg', ['1 == 2', '1 == 3'])
    const runId = await run(tree)
    await openRun(admin, t.url, runId)
    await admin.locator(`[data-testid="node-${gateway.id}"][data-state="FAILED"]`).waitFor()
    await admin.getByTestId(`node-${gateway.id}`).click()
    await admin.getByTestId('node-detail').getByRole('button', { name: 'Skip gateway' }).click()
    const dialog = admin.getByRole('dialog')
    expect(await dialog.textContent()).toContain(`Converge gateway: ${converge.id}`)
    expect(await dialog.getByRole('checkbox').count()).toBe(2)
    const { description, outcome } = await confirmDialog(admin)
    expect(description).toContain('conditional parallel gateway')
    expect(outcome).toBe('Done: success')
    for (const node of [a, b]) {
      await admin.locator(`[data-testid="node-${node.id}"][data-state="FINISHED"]`).waitFor()
    }
    await waitForRunState(admin, 'FINISHED')
  })

  it('shows a loop node with its loop counter and its histories by loop', async () => {
    const looped = act(
      'loop_count_node',
      {},
      { loopConfig: { enable: true, loop_times: 3, outputs_key: 'results' } },
    )
    const runId = await run(engineSequence(looped))
    await openRun(admin, t.url, runId)
    await waitForRunState(admin, 'FINISHED')
    const drawn = admin.locator(`[data-testid="node-${looped.id}"][data-state="FINISHED"]`)
    await drawn.waitFor()
    expect(await drawn.textContent()).toContain('loop 3')
    await drawn.click()
    await admin.getByTestId('node-detail').getByText('Histories (2)').waitFor()
  })

  it('revokes a run for good', async () => {
    const runId = await run(engineSequence(step('callback_node', 'doomed')))
    await openRun(admin, t.url, runId)
    await waitForRunState(admin, 'RUNNING')
    await admin.getByRole('button', { name: 'Revoke', exact: true }).click()
    const { description, outcome } = await confirmDialog(admin)
    expect(description).toContain('cannot be resumed')
    expect(outcome).toBe('Done: success')
    await waitForRunState(admin, 'REVOKED')
    expect(await admin.getByRole('button', { name: 'Pause', exact: true }).count()).toBe(0)
  })

  it('calls back a waiting node with data', async () => {
    const runId = await run(engineSequence(step('callback_node', 'waiting')))
    await openRun(admin, t.url, runId)
    await waitForNodeState(admin, 'waiting', 'RUNNING')
    const { outcome } = await nodeAction(admin, 'waiting', 'Call back', async (page) => {
      await page.getByRole('dialog').getByLabel('Callback data').fill('{"bit": 1}')
    })
    expect(outcome).toBe('Done: success')
    await waitForNodeState(admin, 'waiting', 'FINISHED')
    await waitForRunState(admin, 'FINISHED')
    await graphNode(admin, 'waiting').click()
    await admin.getByTestId('node-detail').getByText('"callback_data"').waitFor()
  })

  it('force-fails a node that keeps running', async () => {
    const runId = await run(engineSequence(step('callback_node', 'forever')))
    await openRun(admin, t.url, runId)
    await waitForNodeState(admin, 'forever', 'RUNNING')
    const { description, outcome } = await nodeAction(admin, 'forever', 'Force fail')
    expect(description).toContain('Force node')
    expect(outcome).toBe('Done: success')
    await waitForNodeState(admin, 'forever', 'FAILED')
    await admin.getByTestId('node-detail').getByText('force fail by engine_admin').first().waitFor()
  })

  for (const engineType of ['bamboo_engine', 'pipeline_engine'] as const) {
    it(`pauses and resumes a run of ${engineType} through that engine`, async () => {
      const tree = engineSequence(step('callback_node', `held on ${engineType}`))
      const started = await t.post(START[engineType], { pipeline: tree })
      expect(started.body.result).toBe(true)
      await openRun(admin, t.url, tree.id)
      await waitForRunState(admin, 'RUNNING')
      await admin.getByText(engineType, { exact: true }).first().waitFor()
      await admin.getByRole('button', { name: 'Pause', exact: true }).click()
      const paused = await confirmDialog(admin)
      expect(paused.description).toContain(`on ${engineType}`)
      expect(paused.outcome).toBe('Done: success')
      await waitForRunState(admin, 'SUSPENDED')
      await admin.getByRole('button', { name: 'Resume', exact: true }).click()
      expect((await confirmDialog(admin)).outcome).toBe('Done: success')
      await waitForRunState(admin, 'RUNNING')
    })
  }

  it('draws a subprocess in place, inside its group, each node in its own colour', async () => {
    const { tree, subprocess } = showcaseTree()
    const runId = await run(tree)
    await openRun(admin, t.url, runId)
    await waitForNodeState(admin, 'flaky step', 'FAILED')
    await waitForNodeState(admin, 'inner wait', 'RUNNING')
    await waitForNodeState(admin, 'prepare', 'FINISHED')
    const group = await admin.getByTestId(`node-${subprocess.id}`).boundingBox()
    for (const inner of ['inner step', 'inner wait']) {
      const box = await graphNode(admin, inner).boundingBox()
      expect(box!.x).toBeGreaterThanOrEqual(group!.x)
      expect(box!.y).toBeGreaterThanOrEqual(group!.y)
      expect(box!.x + box!.width).toBeLessThanOrEqual(group!.x + group!.width)
      expect(box!.y + box!.height).toBeLessThanOrEqual(group!.y + group!.height)
    }
    expect(await graphNode(admin, 'wrap up').getAttribute('data-state')).toBe('')
    await shot(admin, 'run-graph')
  })

  it('finds a stuck run in the stuck view and unblocks it', async () => {
    const runId = await run(engineSequence(step('callback_node', 'stalled')))
    await t.settle()
    const filter = encodeURIComponent(
      JSON.stringify({ running_longer_than: 0, kind: 'long_running_node' }),
    )
    await admin.goto(`${t.url}/console/#/stuck?filter=${filter}`)
    const row = admin.locator('tr', { has: admin.locator(`[data-run-id="${runId}"]`) })
    await row.waitFor()
    expect(await row.textContent()).toContain('node running long')
    await shot(admin, 'stuck-view')
    await row.locator('[data-action]').click()
    const { description, outcome } = await confirmDialog(admin)
    expect(description).toContain('Force node')
    expect(outcome).toBe('Done: success')
    await row.waitFor({ state: 'detached' })
    const graph = await t.request('GET', `/api/runs/${runId}/graph`)
    const states = Object.values(graph.body.states as Record<string, { state: string }>)
    expect(states.map((s) => s.state)).toContain('FAILED')
  })

  it('finds a run whose step gave up while the storage was down, and dispatches it again', async () => {
    const waiting = step('callback_node', 'held')
    const runId = await run(engineSequence(waiting, step('debug_node', 'after the outage')))
    await t.settle()
    // Paused while a node waits, the run stops before the next node; the resume commits, then
    // the step that goes on finds the storage down on every attempt and gives up.
    const adminCall = (action: string, id: string) =>
      t.post(`/engine-admin/api/v1/bamboo_engine/${action}/${id}`, {})
    expect((await adminCall('task_pause', runId)).status).toBe(200)
    expect((await adminCall('node_callback', waiting.id)).status).toBe(200)
    await t.settle()
    t.outage(MAX_STEP_ATTEMPTS, 'after the next commit')
    expect((await adminCall('task_resume', runId)).status).toBe(200)
    await t.settle()
    // The run's page offers the action too, beside pause and revoke.
    await openRun(admin, t.url, runId)
    await admin.getByRole('button', { name: 'Dispatch again', exact: true }).waitFor()
    const filter = encodeURIComponent(JSON.stringify({ running_longer_than: 0, kind: 'idle_run' }))
    await admin.goto(`${t.url}/console/#/stuck?filter=${filter}`)
    const row = admin.locator('tr', { has: admin.locator(`[data-run-id="${runId}"]`) })
    await row.waitFor()
    expect(await row.textContent()).toContain('idle run')
    expect(await row.textContent()).toContain('Dispatch the work nothing moves on again')
    await shot(admin, 'stuck-view-idle')
    await row.locator('[data-action="task_redispatch"]').click()
    const { description, outcome } = await confirmDialog(admin)
    expect(description).toContain(`Dispatch again the work of run ${runId}`)
    expect(outcome).toBe('Done: success')
    // The run goes on in the engine after the answer; once it has ended, the list no longer
    // holds it.
    await t.settle()
    expect((await t.request('GET', `/api/runs/${runId}`)).body.state).toBe('FINISHED')
    const [listed] = await Promise.all([
      admin.waitForResponse((r) => r.url().includes('/api/stuck') && r.ok()),
      admin.reload(),
    ])
    const entries = ((await listed.json()) as { data: Array<{ run_id: string }> }).data
    expect(entries.map((entry) => entry.run_id)).not.toContain(runId)
    await row.waitFor({ state: 'detached' })
  })

  it('creates a user, shows each new token once and revokes one', async () => {
    await admin.goto(`${t.url}/console/#/users/create`)
    await admin.getByLabel('Name').fill('carol')
    await admin.getByRole('button', { name: 'Save' }).click()
    const first = (await admin.getByTestId('shown-once').textContent())!.trim()
    await admin.getByRole('button', { name: 'Close' }).click()
    await admin.getByRole('button', { name: 'New token' }).click()
    const second = (await admin.getByTestId('shown-once').textContent())!.trim()
    await admin.getByRole('button', { name: 'Close' }).click()
    const rows = admin.locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(2)
    await rows.first().getByRole('button', { name: 'Revoke' }).click()
    await admin.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click()
    await expect.poll(() => rows.count()).toBe(1)
    const answers = await Promise.all(
      [first, second].map(async (token) => (await t.request('GET', '/api/me', { token })).status),
    )
    expect(answers.sort()).toEqual([200, 401])
  })

  it('shows each plugin with its components, their versions and their schemas as forms', async () => {
    await admin.goto(`${t.url}/console/#/plugins`)
    const row = admin.locator('tbody tr', { hasText: '@culm/plugin-sleep-timer' })
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.textContent()).toContain('sleep_timer@legacy')
    await row.click()
    const panel = admin.getByTestId('component-sleep_timer')
    await panel.getByText('sleep_timer', { exact: true }).click()
    // The input schema as the form a retry uses: a field per property, titled by the schema.
    await expect.poll(() => panel.getByLabel('timing *').count()).toBe(1)
    await expect.poll(() => panel.getByLabel('force check').count()).toBe(1)
    expect(await panel.textContent()).toContain('timing_seconds')
  })

  it("adds a user to a project's members and removes them", async () => {
    const project = await t.post('/api/projects', { name: 'staffed', bk_biz_id: 778 })
    const members = async () =>
      (await t.request('GET', `/api/projects/${project.body.id}`)).body.members.map(
        (m: { name: string }) => m.name,
      )
    await admin.goto(`${t.url}/console/#/projects/${project.body.id}/show`)
    await admin.getByRole('tab', { name: 'Members' }).click()
    await admin.getByText('No members.').waitFor()
    await admin.getByLabel('User').click()
    await admin.getByRole('option', { name: 'bob', exact: true }).click()
    await admin.getByRole('button', { name: 'Add member' }).click()
    await admin.getByText(`bob (#${bob.id})`).waitFor()
    expect(await members()).toEqual(['bob'])
    await admin.getByRole('button', { name: 'Remove' }).click()
    await admin.getByText('No members.').waitFor()
    expect(await members()).toEqual([])
  })

  it('registers an app, shows its generated secret once, and the secret opens the task API', async () => {
    await admin.goto(`${t.url}/console/#/apps/create`)
    await admin.getByLabel('Code *').fill('console_app')
    await admin.getByRole('button', { name: 'Save' }).click()
    const secret = (await admin.getByTestId('shown-once').textContent())!.trim()
    expect(secret.length).toBeGreaterThanOrEqual(16)
    await admin.getByRole('button', { name: 'Close' }).click()
    await admin.locator('tbody tr', { hasText: 'console_app' }).waitFor()
    const status = (appSecret: string) =>
      t.request(
        'GET',
        `/apigw/get_task_status/779/999999/?bk_app_code=console_app&bk_app_secret=${encodeURIComponent(appSecret)}&bk_token=${bob.token}`,
        { token: null },
      )
    expect((await status(`${secret}-wrong`)).status).toBe(401)
    expect((await status(secret)).status).not.toBe(401)
  })

  it('shows who did what in the operation log, filtered by project', async () => {
    const project = await t.post('/api/projects', { name: 'audited', bk_biz_id: 777 })
    const task = await t.post(`/api/projects/${project.body.id}/tasks`, {
      name: 'audited task',
      pipeline_tree: platformSequence([['debug_node', 'only step', {}]]),
    })
    expect(task.status).toBe(201)
    expect(
      (await t.post(`/api/projects/${project.body.id}/tasks/${task.body.id}/start`)).status,
    ).toBe(200)
    const filter = encodeURIComponent(JSON.stringify({ project_id: project.body.id }))
    await admin.goto(`${t.url}/console/#/operations?filter=${filter}`)
    const rows = admin.locator('tbody tr')
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3)
    const texts = await rows.allTextContents()
    for (const operation of ['project_create', 'create', 'start']) {
      expect(texts.some((row) => row.includes(operation))).toBe(true)
    }
    for (const row of texts) expect(row).toContain('audited')
  })

  it("refuses a non-admin's admin action with the permission hook's message", async () => {
    const runId = await run(engineSequence(step('callback_node', 'bobs node')), bob.token)
    const page = await loggedIn(browser, t.url, bob.token)
    expect(await page.getByRole('menuitem', { name: 'Users and tokens' }).count()).toBe(0)
    expect(await page.getByRole('menuitem', { name: 'Apps' }).count()).toBe(0)
    await openRun(page, t.url, runId)
    await page.getByRole('button', { name: 'Pause', exact: true }).click()
    const { outcome } = await confirmDialog(page)
    expect(outcome).toBe(`Refused: ${DENIED}`)
    await waitForRunState(page, 'RUNNING')
    await page.context().close()
  })
})
