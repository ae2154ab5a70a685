import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CulmServer, createServer, loadComponents } from '@culm/server'
import { type OpenedRuntime, openRuntime } from '@culm/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** A server over a throwaway SQLite database whose console build is `consoleDir`. */
async function serveConsole(consoleDir: string) {
  const folder = mkdtempSync(join(tmpdir(), 'culm-console-'))
  const store: OpenedRuntime = await openRuntime(`sqlite:${join(folder, 'culm.db')}`)
  const components = await loadComponents(['@culm/plugin-testkit'])
  const server: CulmServer = await createServer({
    store,
    components: components.runner,
    plugins: components.plugins,
    consoleDir,
  })
  const { url } = await server.listen({ port: 0 })
  return {
    url,
    close: async () => {
      await server.close()
      await components.close()
      await store.close()
      rmSync(folder, { recursive: true, force: true })
    },
  }
}

/** Sends a path as written, without the URL parser resolving `..` first. */
async function raw(url: string, path: string, method = 'GET') {
  const { request } = await import('node:http')
  const { hostname, port } = new URL(url)
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type'] ?? ''),
          body,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the console served at /console', () => {
  const root = mkdtempSync(join(tmpdir(), 'culm-console-dist-'))
  const dist = join(root, 'dist')
  let built: Awaited<ReturnType<typeof serveConsole>>
  let unbuilt: Awaited<ReturnType<typeof serveConsole>>

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true })
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Culm console</title>')
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log("app")')
    writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{}')
    writeFileSync(join(dist, 'favicon.svg'), '<svg/>')
    writeFileSync(join(root, 'secret.txt'), 'outside the build')
    built = await serveConsole(dist)
    unbuilt = await serveConsole(join(root, 'missing'))
  })
  afterAll(async () => {
    await built?.close()
    await unbuilt?.close()
    rmSync(root, { recursive: true, force: true })
  })

  it('serves the app without a token, with each file’s content type', async () => {
    for (const path of ['/console', '/console/', '/console/index.html']) {
      const answer = await raw(built.url, path)
      expect(answer.status, path).toBe(200)
      expect(answer.type, path).toBe('text/html; charset=utf-8')
      expect(answer.body).toContain('Culm console')
    }
    const js = await raw(built.url, '/console/assets/index-abc123.js')
    expect(js).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' })
    expect(js.body).toBe('console.log("app")')
    expect((await raw(built.url, '/console/assets/index-abc123.css')).type).toBe(
      'text/css; charset=utf-8',
    )
    expect((await raw(built.url, '/console/favicon.svg')).type).toContain('image/svg+xml')
    const head = await fetch(`${built.url}/console/`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it("answers index.html for the app's own routes, and 404 for a missing asset", async () => {
    for (const path of ['/console/runs', '/console/runs/p123/show', '/console/stuck?x=1']) {
      const answer = await raw(built.url, path)
      expect(answer.status, path).toBe(200)
      expect(answer.body, path).toContain('Culm console')
    }
    expect((await raw(built.url, '/console/assets/index-gone.js')).status).toBe(404)
  })

  it('never serves a file outside the build', async () => {
    for (const path of [
      '/console/../secret.txt',
      '/console/..%2fsecret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/%2e%2e%2fsecret.txt',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/%00',
      '/console/%E0%A4%A',
    ]) {
      const answer = await raw(built.url, path)
      expect(answer.body, path).not.toContain('outside the build')
      expect(answer.status, path).toBeLessThan(500)
    }
  })

  it('keeps the API behind its token, and refuses other methods on the console', async () => {
    expect((await raw(built.url, '/api/runs')).status).toBe(401)
    expect((await raw(built.url, '/consolex')).status).toBe(401)
    expect((await raw(built.url, '/console/', 'POST')).status).toBe(405)
  })

  it('says so with a 503 page when the console is not built', async () => {
    const answer = await raw(unbuilt.url, '/console/runs')
    expect(answer.status).toBe(503)
    expect(answer.type).toContain('text/html')
    expect(answer.body).toContain('not built')
    expect(answer.body).toContain('--filter=@culm/console')
  })
})
