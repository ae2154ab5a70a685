import { Cron } from 'croner'
import type { Issue } from '../errors.js'
import { isObject, type Json } from './checks.js'

/** How a template's schedule fires. */
export const RUN_MODES = ['SINGLE', 'CRON', 'INTERVAL'] as const
/** One of `RUN_MODES`. */
export type RunMode = (typeof RUN_MODES)[number]

/** The time units of `intervalUnit`, `timeOutUnit`, `delayTimeUnit` and `retryGapTimeUnit`. */
export const TIME_UNITS = {
  SECOND: 1000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
} as const
/** One of the keys of `TIME_UNITS`. */
export type TimeUnit = keyof typeof TIME_UNITS

/** A template's `executionConfig`, read and checked. */
export interface Schedule {
  runMode: RunMode
  cron: Cron | undefined
  /** The IANA time zone its cron expression is read in. */
  timezone: string
  intervalMs: number
  /** The earliest first tick (ms), or null for "from now". */
  startAt: number | null
  delayMs: number
  timeOutMs: number | null
  retryCount: number
  retryGapSeconds: number
}

/** The most auto-retries and the longest gap (seconds) the engine allows per node. */
export const MAX_RETRY_COUNT = 10
export const MAX_RETRY_GAP_SECONDS = 10

/**
 * Rewrites Quartz-style steps (`0/5`) into the range form croner reads (`0-59/5`); other fields
 * are left as they are.
 */
function croner(expression: string): string {
  const fields = expression.trim().split(/\s+/)
  const max = fields.length >= 6 ? [59, 59, 23, 31, 12, 7, 2099] : [59, 23, 31, 12, 7]
  return fields
    .map((field, i) =>
      field.replace(
        /(^|,)(\d+)\/(\d+)/g,
        (_m, lead, from, step) => `${lead}${from}-${max[i] ?? 59}/${step}`,
      ),
    )
    .join(' ')
}

/** A cron expression as croner reads it (5, 6 with seconds, or 7 with years), in `timezone`. */
export function parseCron(expression: string, timezone: string): Cron {
  return new Cron(croner(expression), { paused: true, timezone })
}

/** The time zone this process runs in (`TZ`, else the system's), as an IANA name. */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** Whether `name` is a time zone this runtime knows (`Asia/Shanghai`, `UTC`, `+08:00` …). */
export function isTimeZone(name: string): boolean {
  if (name.trim() === '') return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

function duration(
  config: Json,
  field: string,
  unitField: string,
  issues: Issue[],
  defaultUnit: TimeUnit = 'SECOND',
): number | null {
  const value = config[field]
  if (value === null || value === undefined) return null
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    issues.push({
      field: `data.executionConfig.${field}`,
      message: 'must be a non-negative number or null',
    })
    return null
  }
  const unit = config[unitField] ?? defaultUnit
  if (typeof unit !== 'string' || !(unit in TIME_UNITS)) {
    issues.push({
      field: `data.executionConfig.${unitField}`,
      message: `must be one of ${Object.keys(TIME_UNITS).join(', ')} or null`,
    })
    return null
  }
  return value * TIME_UNITS[unit as TimeUnit]
}

/**
 * Reads `executionConfig`; a missing one is a `SINGLE` run. A cron expression is read in the
 * config's own `timezone` (an IANA name), else in `defaults.timezone` (the server's setting).
 */
export function parseSchedule(
  value: unknown,
  defaults: { timezone: string } = { timezone: localTimeZone() },
): { schedule: Schedule; issues: [] } | { schedule: undefined; issues: Issue[] } {
  const issues: Issue[] = []
  if (value !== null && value !== undefined && !isObject(value)) {
    return {
      schedule: undefined,
      issues: [{ field: 'data.executionConfig', message: 'must be an object or null' }],
    }
  }
  const config = (value ?? {}) as Json
  const runMode = config.runMode ?? 'SINGLE'
  if (!(RUN_MODES as readonly unknown[]).includes(runMode)) {
    issues.push({
      field: 'data.executionConfig.runMode',
      message: `must be one of ${RUN_MODES.join(', ')}`,
    })
  }
  let timezone = defaults.timezone
  if (config.timezone !== null && config.timezone !== undefined) {
    if (typeof config.timezone === 'string' && isTimeZone(config.timezone)) {
      timezone = config.timezone
    } else {
      issues.push({
        field: 'data.executionConfig.timezone',
        message: 'must be a time zone name such as Asia/Shanghai or UTC, or null',
      })
    }
  }
  let cron: Cron | undefined
  if (runMode === 'CRON' && issues.length === 0) {
    const expression = config.cronExpression
    if (typeof expression !== 'string' || expression.trim() === '') {
      issues.push({
        field: 'data.executionConfig.cronExpression',
        message: 'is required for runMode CRON',
      })
    } else {
      try {
        cron = parseCron(expression, timezone)
        if (!cron.nextRun()) {
          issues.push({
            field: 'data.executionConfig.cronExpression',
            message: 'never fires again',
          })
        }
      } catch (error) {
        issues.push({
          field: 'data.executionConfig.cronExpression',
          message: `is not a cron expression: ${error instanceof Error ? error.message : String(error)}`,
        })
      }
    }
  }
  let intervalMs = 0
  if (runMode === 'INTERVAL') {
    const ms = duration(config, 'interval', 'intervalUnit', issues, 'MINUTE')
    if (ms === null || ms < 1000) {
      issues.push({
        field: 'data.executionConfig.interval',
        message: 'runMode INTERVAL needs an interval of at least one second',
      })
    } else {
      intervalMs = ms
    }
  } else if (config.intervalUnit !== null && config.intervalUnit !== undefined) {
    duration(config, 'interval', 'intervalUnit', issues)
  }
  let startAt: number | null = null
  if (config.startAt !== null && config.startAt !== undefined) {
    const at =
      typeof config.startAt === 'number'
        ? config.startAt
        : typeof config.startAt === 'string'
          ? Date.parse(config.startAt)
          : Number.NaN
    if (!Number.isFinite(at) || at < 0) {
      issues.push({
        field: 'data.executionConfig.startAt',
        message: 'must be a time in ms since 1970, an ISO 8601 time, or null',
      })
    } else {
      startAt = at
    }
  }
  const delayMs = duration(config, 'delayTime', 'delayTimeUnit', issues) ?? 0
  const timeOutMs = duration(config, 'timeOut', 'timeOutUnit', issues)
  const retryGap = duration(config, 'retryGapTime', 'retryGapTimeUnit', issues) ?? 0
  const retryCount = config.retryCount ?? 0
  if (typeof retryCount !== 'number' || !Number.isInteger(retryCount) || retryCount < 0) {
    issues.push({
      field: 'data.executionConfig.retryCount',
      message: 'must be a non-negative integer or null',
    })
  } else if (retryCount > MAX_RETRY_COUNT) {
    issues.push({
      field: 'data.executionConfig.retryCount',
      message: `must be at most ${MAX_RETRY_COUNT}`,
    })
  }
  if (retryGap > MAX_RETRY_GAP_SECONDS * 1000) {
    issues.push({
      field: 'data.executionConfig.retryGapTime',
      message: `must be at most ${MAX_RETRY_GAP_SECONDS} seconds`,
    })
  }
  if (timeOutMs !== null && timeOutMs < 1000) {
    issues.push({ field: 'data.executionConfig.timeOut', message: 'must be at least one second' })
  }
  if (issues.length > 0) return { schedule: undefined, issues }
  return {
    schedule: {
      runMode: runMode as RunMode,
      cron,
      timezone,
      intervalMs,
      startAt,
      delayMs,
      timeOutMs,
      retryCount: retryCount as number,
      retryGapSeconds: Math.round(retryGap / 1000),
    },
    issues: [],
  }
}

/** The first tick when a schedule is switched on at `now`. */
export function firstTick(schedule: Schedule, now: number): number | null {
  const from = Math.max(now, schedule.startAt ?? now)
  switch (schedule.runMode) {
    case 'SINGLE':
    case 'INTERVAL':
      return from
    case 'CRON':
      return schedule.cron?.nextRun(new Date(from - 1))?.getTime() ?? null
  }
}

/**
 * The tick after `tick`, fired at `now`: the first one later than `now`, so that ticks missed
 * while no server ran are not fired one by one (the one due fires once, then the schedule goes
 * on from the present). A `SINGLE` schedule has none.
 */
export function nextTick(schedule: Schedule, tick: number, now: number): number | null {
  switch (schedule.runMode) {
    case 'SINGLE':
      return null
    case 'INTERVAL': {
      const step = schedule.intervalMs
      return tick + Math.max(1, Math.floor((now - tick) / step) + 1) * step
    }
    case 'CRON':
      return schedule.cron?.nextRun(new Date(Math.max(now, tick)))?.getTime() ?? null
  }
}
