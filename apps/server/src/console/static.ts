import { readFile, stat } from 'node:fs/promises'
import { resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Context, Hono } from 'hono'
import { getMimeType } from 'hono/utils/mime'
import type { AppEnv } from '../http.js'

/** Where `npm start` builds the console: `apps/console/dist`, beside this package. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url))

/** The page answered while the console has not been built. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Culm console not built</title></head>
<body><h1>The console is not built</h1>
<p>Build it with <code>npx turbo run build --filter=@culm/console</code> (or start the server with
<code>npm start</code>, which builds it), then reload this page. The API is unaffected.</p>
</body></html>`

/**
 * Serves the built console at `/console`, without a token (the app asks for one): a file of the
 * build when the path names one, else `index.html` so that the app's own routes load. Paths that
 * leave the build folder are refused; an unbuilt console answers 503 with a page that says so.
 */
export function registerConsoleStatic(app: Hono<AppEnv>, dir: string = DEFAULT_CONSOLE_DIR): void {
  const root = resolve(dir)
  const handler = async (c: Context<AppEnv>) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return c.text('the console answers GET only', 405, { Allow: 'GET, HEAD' })
    }
    const indexPath = resolve(root, 'index.html')
    if (!(await isFile(indexPath))) return c.html(NOT_BUILT, 503, { 'Cache-Control': 'no-store' })
    let relative: string
    try {
      relative = decodeURIComponent(c.req.path.slice('/console'.length).replace(/^\/+/, ''))
    } catch {
      return c.text('malformed path', 400)
    }
    if (relative.includes('\0')) return c.text('malformed path', 400)
    const target = resolve(root, relative)
    if (target !== root && !target.startsWith(root + sep)) return c.text('not found', 404)
    const file = relative === '' ? null : await readIfFile(target)
    if (file) {
      const type = getMimeType(target) ?? 'application/octet-stream'
      // Vite names built assets by content hash, so they never change under one name.
      const cache = relative.startsWith('assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache'
      return c.body(new Uint8Array(file), 200, {
        'Content-Type': type,
        'Cache-Control': cache,
        'X-Content-Type-Options': 'nosniff',
      })
    }
    // A missing asset is a 404, not the app's page, so that a broken build shows as one.
    if (relative.startsWith('assets/') || /\.(js|css|map|png|svg|ico|woff2?)$/i.test(relative)) {
      return c.text('not found', 404)
    }
    const index = await readIfFile(indexPath)
    if (!index) return c.html(NOT_BUILT, 503, { 'Cache-Control': 'no-store' })
    return c.body(new Uint8Array(index), 200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
    })
  }
  app.all('/console', handler)
  app.all('/console/*', handler)
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

async function readIfFile(path: string): Promise<Buffer | null> {
  if (!(await isFile(path))) return null
  try {
    return await readFile(path)
  } catch {
    return null
  }
}
