import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadPermission, PERMISSION_IMPORT_ERROR } from './permission.js'

const folder = mkdtempSync(join(tmpdir(), 'culm-permission-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))
writeFileSync(
  join(folder, 'check.mjs'),
  'export const onlyAlice = ({ user }) => user.name === "alice"\nexport const notAFunction = 1\n',
)

const user = (name: string) => ({ id: 1, name, isAdmin: false })
const ask = (name: string) => ({
  request: new Request('http://x/'),
  user: user(name),
  engineType: 'bamboo_engine',
  action: 'task_pause',
  instanceId: 'p1',
})

describe('loadPermission', () => {
  it('loads a named export of a module relative to the base folder', async () => {
    const permission = await loadPermission('./check.mjs#onlyAlice', folder)
    expect(await permission(ask('alice'))).toBe(true)
    expect(await permission(ask('bob'))).toBe(false)
  })

  it('says the module cannot be imported when the file is missing', async () => {
    await expect(loadPermission('./missing.mjs#f', folder)).rejects.toThrow(PERMISSION_IMPORT_ERROR)
  })

  it('refuses an export that is not a function, naming it', async () => {
    await expect(loadPermission('./check.mjs#notAFunction', folder)).rejects.toThrow(
      /no function export "notAFunction"/,
    )
  })
})
