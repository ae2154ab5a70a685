import { spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from '@playwright/test'

const here = dirname(fileURLToPath(import.meta.url))

/** Where the screenshots go (gitignored). */
export const ARTIFACTS = join(here, 'artifacts')

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium'

/** A failed step of a browser scenario. */
export class BrowserTestError extends Error {
  override readonly name = 'BrowserTestError'
}

/**
 * Builds the console into apps/console/dist, where the server serves it from: the browser tests
 * then run the current sources, whatever was built before.
 */
export async function buildConsole(): Promise<void> {
  const app = join(here, '..', '..', 'apps', 'console')
  const vite = join(here, '..', '..', 'node_modules', '.bin', 'vite')
  for (let attempt = 0; ; attempt++) {
    const built = spawnSync(vite, ['build', '--logLevel', 'error'], { cwd: app, encoding: 'utf8' })
    if (built.status === 0) return
    const output = `${built.stderr}${built.stdout}`
    // Vite refuses to build while another build of the same app runs: wait for that one.
    if (!output.includes('Found another Vite build process') || attempt >= 60) {
      throw new BrowserTestError(`the console did not build: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/** Launches Debian's Chromium headless. */
export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM })
}

/** A fresh tab (its own session storage) logged in to the console with a token. */
export async function loggedIn(browser: Browser, url: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const page = await context.newPage()
  page.setDefaultTimeout(30_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  try {
    await page.goto(`${url}/console/`)
    await page.getByLabel('API token').fill(token)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('menuitem', { name: 'Runs', exact: true }).waitFor()
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, 'login-failure.png') })
    throw new BrowserTestError(
      `could not log in (${error instanceof Error ? error.message : String(error)}); page errors: ${errors.join(' | ') || 'none'}`,
    )
  }
  return page
}

/** Opens a run's page and waits for its graph to be drawn and live. */
export async function openRun(page: Page, url: string, runId: string): Promise<void> {
  await page.goto(`${url}/console/#/runs/${encodeURIComponent(runId)}/show`)
  await page.getByTestId('run-graph').waitFor()
  await page.locator('[data-testid="live-status"][data-live="open"]').waitFor()
}

/** The graph node of a named node (names are unique within a scenario). */
export function graphNode(page: Page, name: string) {
  return page.locator('[data-testid^="node-"]', { hasText: name }).first()
}

/** Waits until a named node is drawn in a state. */
export async function waitForNodeState(page: Page, name: string, state: string): Promise<void> {
  try {
    await page
      .locator(`[data-testid^="node-"][data-state="${state}"]`, { hasText: name })
      .first()
      .waitFor()
  } catch (error) {
    await page.screenshot({ path: join(ARTIFACTS, `failure-${name.replace(/\W+/g, '-')}.png`) })
    throw error
  }
}

/** Waits until the run's header shows a state. */
export async function waitForRunState(page: Page, state: string): Promise<void> {
  await page.locator(`[data-testid="run-state"][data-state="${state}"]`).waitFor()
}

/**
 * Clicks a node, then one of its actions, and confirms it in the dialog; answers the outcome
 * text the dialog shows (`Done: …` or `Refused: …`). `fill` edits the dialog first.
 */
export async function nodeAction(
  page: Page,
  name: string,
  button: string,
  fill?: (page: Page) => Promise<void>,
): Promise<{ description: string; outcome: string }> {
  await graphNode(page, name).click()
  await page.getByTestId('node-detail').waitFor()
  await page.getByTestId('node-detail').getByRole('button', { name: button, exact: true }).click()
  return confirmDialog(page, fill)
}

/** Confirms the open action dialog and answers its description and outcome. */
export async function confirmDialog(
  page: Page,
  fill?: (page: Page) => Promise<void>,
): Promise<{ description: string; outcome: string }> {
  const dialog = page.getByRole('dialog')
  const description = (await dialog.getByTestId('action-description').textContent()) ?? ''
  if (fill) await fill(page)
  await dialog.getByTestId('confirm-action').click()
  const outcome = (await dialog.getByTestId('action-outcome').textContent()) ?? ''
  await dialog.getByRole('button', { name: 'Close' }).click()
  await dialog.waitFor({ state: 'hidden' })
  return { description, outcome }
}

/** The background colour a node is drawn with, as the browser computed it. */
export async function nodeColour(page: Page, name: string): Promise<string> {
  return graphNode(page, name).evaluate(
    (el) => el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor,
  )
}
