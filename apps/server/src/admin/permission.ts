import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { User } from '../auth/users.js'
import { ServerError } from '../errors.js'

/** What the engine admin permission function is asked about. */
export interface AdminRequest {
  /** The HTTP request's method, URL and headers (without its body). */
  request: Request
  /** The authenticated caller. */
  user: User
  engineType: string
  action: string
  instanceId: string
}

/** Decides whether a caller may call the engine admin API (`PIPELINE_ENGINE_ADMIN_API_PERMISSION`). */
export type AdminPermission = (request: AdminRequest) => boolean | Promise<boolean>

/** The default permission: the caller must be an admin. */
export const adminOnly: AdminPermission = ({ user }) => user.isAdmin

/** The message of a denied call, as the Python engine admin words it. */
export const PERMISSION_DENIED = 'You have no permission to call pipeline engine admin api.'
/** The message when the configured permission function cannot be loaded. */
export const PERMISSION_IMPORT_ERROR = 'Pipeline engine admin permission function import error.'

/**
 * Loads a permission function from `./path/module.js#exportName` (relative to `baseDir`), an
 * absolute path, or a package name; without `#name` the default export. A module that cannot be
 * imported or an export that is not a function is a `CONFIGURATION` error saying which.
 */
export async function loadPermission(
  spec: string,
  baseDir: string = process.cwd(),
): Promise<AdminPermission> {
  const hash = spec.lastIndexOf('#')
  const path = hash === -1 ? spec : spec.slice(0, hash)
  const exportName = hash === -1 ? 'default' : spec.slice(hash + 1)
  if (path === '' || exportName === '') {
    throw new ServerError(
      'CONFIGURATION',
      `CULM_ADMIN_PERMISSION must be ./path/module.js#exportName, got "${spec}"`,
    )
  }
  const target =
    path.startsWith('.') || isAbsolute(path) ? pathToFileURL(resolve(baseDir, path)).href : path
  let module: Record<string, unknown>
  try {
    module = (await import(target)) as Record<string, unknown>
  } catch (error) {
    throw new ServerError(
      'CONFIGURATION',
      `${PERMISSION_IMPORT_ERROR} Cannot import ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  const fn = module[exportName]
  if (typeof fn !== 'function') {
    throw new ServerError(
      'CONFIGURATION',
      `${PERMISSION_IMPORT_ERROR} ${path} has no function export "${exportName}"`,
    )
  }
  return fn as AdminPermission
}
