import { ServerError } from '../errors.js'
import type { OfflineOptions } from './register.js'
import { isTimeZone, localTimeZone } from './schedule.js'
import { USER_MODES, type UserMode } from './users.js'

/**
 * Reads the offline API's settings: `CULM_OFFLINE_PREFIX` (''), `CULM_OFFLINE_USER_MODE`
 * (`token` or `trusted`), `CULM_OFFLINE_FILE_DIR` (unset: files in the database),
 * `CULM_OFFLINE_FILE_LIMIT` (bytes, 5 MiB), `CULM_OFFLINE_POLL_MS` (500) and
 * `CULM_OFFLINE_TIMEZONE` (the time zone of cron expressions; unset: the process's own).
 */
export function readOfflineConfig(env: NodeJS.ProcessEnv = process.env): OfflineOptions {
  const prefix = (env.CULM_OFFLINE_PREFIX ?? '').replace(/\/+$/, '')
  if (prefix !== '' && !prefix.startsWith('/')) {
    throw new ServerError('CONFIGURATION', `CULM_OFFLINE_PREFIX must start with /, got "${prefix}"`)
  }
  const userMode = env.CULM_OFFLINE_USER_MODE || 'token'
  if (!(USER_MODES as readonly string[]).includes(userMode)) {
    throw new ServerError(
      'CONFIGURATION',
      `CULM_OFFLINE_USER_MODE must be ${USER_MODES.join(' or ')}, got "${userMode}"`,
    )
  }
  const fileLimit = Number(env.CULM_OFFLINE_FILE_LIMIT ?? 5 * 1024 * 1024)
  if (!Number.isInteger(fileLimit) || fileLimit <= 0) {
    throw new ServerError(
      'CONFIGURATION',
      'CULM_OFFLINE_FILE_LIMIT must be a positive number of bytes',
    )
  }
  const pollMs = Number(env.CULM_OFFLINE_POLL_MS ?? 500)
  if (!Number.isInteger(pollMs) || pollMs < 50) {
    throw new ServerError('CONFIGURATION', 'CULM_OFFLINE_POLL_MS must be an integer of at least 50')
  }
  const timezone = env.CULM_OFFLINE_TIMEZONE || localTimeZone()
  if (!isTimeZone(timezone)) {
    throw new ServerError(
      'CONFIGURATION',
      `CULM_OFFLINE_TIMEZONE must be a time zone name such as Asia/Shanghai or UTC, got "${timezone}"`,
    )
  }
  return {
    prefix,
    timezone,
    userMode: userMode as UserMode,
    ...(env.CULM_OFFLINE_FILE_DIR ? { fileDirectory: env.CULM_OFFLINE_FILE_DIR } : {}),
    fileLimit,
    pollMs,
  }
}
