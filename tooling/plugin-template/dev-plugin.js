#!/usr/bin/env node
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

// npm run dev:plugin PATH...: the server with these plugin folders, bundled from their sources
// and reloaded when one of their files changes (CULM_PLUGIN_WATCH); other settings come from the
// environment as for npm start.
const folders = process.argv.slice(2)
if (folders.length === 0) {
  console.error('usage: npm run dev:plugin PATH [PATH...] (plugin folders)')
  process.exit(1)
}
const cwd = process.env.INIT_CWD ?? process.cwd()
const paths = folders.map((folder) => resolve(cwd, folder))
for (const path of paths) {
  if (!existsSync(resolve(path, 'package.json'))) {
    console.error(`dev:plugin: ${path} is not a plugin folder (it has no package.json)`)
    process.exit(1)
  }
}
const child = spawn('npm', ['start'], {
  stdio: 'inherit',
  env: { ...process.env, CULM_PLUGINS: paths.join(','), CULM_PLUGIN_WATCH: '1' },
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code) => process.exit(code ?? 1))
