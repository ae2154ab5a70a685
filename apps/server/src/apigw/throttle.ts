import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { ServerError } from '../errors.js'

/** How many failed credential checks are allowed, and in how long a window. */
export interface ThrottleOptions {
  /** Failures allowed per app code in a window (10). */
  perApp?: number
  /** Failures allowed per client address in a window (30). */
  perAddress?: number
  /** The window, in seconds (60). */
  windowSeconds?: number
}

/**
 * Counts failed app credential checks per app code and per client address; once either is over
 * its allowance, calls are refused with 429 and `Retry-After` until its window ends, before
 * any secret is checked.
 */
export class CredentialThrottle {
  readonly #byApp: RateLimiterMemory
  readonly #byAddress: RateLimiterMemory

  constructor(options: ThrottleOptions = {}) {
    const duration = options.windowSeconds ?? 60
    this.#byApp = new RateLimiterMemory({ points: options.perApp ?? 10, duration })
    this.#byAddress = new RateLimiterMemory({ points: options.perAddress ?? 30, duration })
  }

  /** Throws `TOO_MANY_REQUESTS` when this app code or this address has failed too often. */
  async check(code: string | undefined, address: string): Promise<void> {
    const checks: Array<[RateLimiterMemory, string, string]> = [
      [this.#byAddress, address, `address ${address}`],
    ]
    if (code !== undefined) checks.push([this.#byApp, code, `app ${code}`])
    for (const [limiter, key, what] of checks) {
      const state = await limiter.get(key)
      if (state && state.remainingPoints <= 0) {
        const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000))
        throw new ServerError(
          'TOO_MANY_REQUESTS',
          `too many failed credential checks for ${what}: try again in ${seconds} s`,
          { retryAfterSeconds: seconds },
        )
      }
    }
  }

  /** Counts a failed check against the app code and the address. */
  async failed(code: string | undefined, address: string): Promise<void> {
    const spend = (limiter: RateLimiterMemory, key: string) =>
      limiter.consume(key).catch((error: unknown) => {
        // Over the allowance already: the next check refuses.
        if (!(error instanceof RateLimiterRes)) throw error
      })
    await spend(this.#byAddress, address)
    if (code !== undefined) await spend(this.#byApp, code)
  }
}
