/** The forms `bk_timing` takes, as the Python component reads it. */
export type TimingType = 'seconds' | 'datetime'

/** What a `bk_timing` says: how long to wait from now, and until when. */
export interface Timing {
  type: TimingType
  /** Whole seconds to wait from now (0 when the time has come). */
  seconds: number
  /** When the wait ends, in epoch milliseconds. */
  eta: number
}

/** Up to eight digits: a number of seconds (the Python component's own bound). */
const SECONDS = /^\d{1,8}$/
/**
 * `%Y-%m-%d %H:%M:%S` (the Python form), or the same with `T`, fractional seconds and a UTC
 * offset or `Z`; without an offset the time is UTC.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/

/** The longest single wait between two polls, so that a far date is checked now and then. */
export const MAX_POLL_SECONDS = 3600

/**
 * Reads `bk_timing`: a number of seconds (a number, or up to eight digits) or a date-time text.
 * `forceCheck` (the Python component's `force_check`, on by default) refuses a date-time that is
 * not later than `now`. Answers the timing, or why it cannot be read.
 */
export function parseTiming(
  value: unknown,
  now: number,
  forceCheck = true,
): Timing | { error: string } {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 1e8) {
    return { type: 'seconds', seconds: value, eta: now + value * 1000 }
  }
  const text = typeof value === 'string' ? value.trim() : undefined
  if (text !== undefined && SECONDS.test(text)) {
    const seconds = Number(text)
    return { type: 'seconds', seconds, eta: now + seconds * 1000 }
  }
  const parts = text === undefined ? null : DATE_TIME.exec(text)
  if (parts) {
    const [, year, month, day, hour, minute, second, fraction, zone] = parts
    const local = Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
      fraction ? Math.floor(Number(fraction) * 1000) : 0,
    )
    const check = new Date(local)
    const valid =
      check.getUTCFullYear() === Number(year) &&
      check.getUTCMonth() === Number(month) - 1 &&
      check.getUTCDate() === Number(day) &&
      Number(hour) < 24 &&
      Number(minute) < 60 &&
      Number(second) < 60
    if (valid) {
      const eta = local - offsetMinutes(zone) * 60_000
      if (forceCheck && eta <= now) {
        return { error: `bk_timing ${text} must be later than now (${formatTime(now)} UTC)` }
      }
      return { type: 'datetime', seconds: Math.max(0, Math.ceil((eta - now) / 1000)), eta }
    }
  }
  return {
    error: `bk_timing must be seconds (up to 8 digits) or a date-time (%Y-%m-%d %H:%M:%S), got ${String(value)}`,
  }
}

function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0
  const digits = zone.replace(':', '')
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5))
  return digits.startsWith('-') ? -minutes : minutes
}

/** `%Y-%m-%d %H:%M:%S` in UTC, as the Python component shows its wake time. */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')
}

/**
 * The outputs of an execute that read `bk_timing`: the timing (a number of seconds, or the
 * date-time text as given), its form (`type`), the
 * wake time (`eta`, ISO 8601 in UTC; `timing_time`, `%Y-%m-%d %H:%M:%S` in UTC), and the seconds
 * left to wait (`timing_seconds`), which the polls count down.
 */
export function timingOutputs(given: unknown, timing: Timing): Record<string, unknown> {
  return {
    bk_timing: timing.type === 'seconds' ? timing.seconds : given,
    type: timing.type,
    eta: new Date(timing.eta).toISOString(),
    timing_time: formatTime(timing.eta),
    timing_seconds: timing.seconds,
  }
}

/**
 * One poll of the wait: the first comes at once after execute; each answers whether the wait is
 * over, else how long until the next poll (at most `MAX_POLL_SECONDS`) and the seconds left after
 * it. Counted on the engine's clock (the polls), so a paused or stopped engine governs the wait.
 */
export function nextPoll(left: number): { done: true } | { after: number; left: number } {
  if (!(left > 0)) return { done: true }
  const after = Math.min(left, MAX_POLL_SECONDS)
  return { after, left: left - after }
}
