import { performance } from 'node:perf_hooks'

/** Timing of repeated runs of one operation. */
export interface Measurement {
  runs: number
  medianMs: number
  minMs: number
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times, and reports the median and the best. */
export function measure(fn: () => void, runs = 10, warmup = 2): Measurement {
  for (let i = 0; i < warmup; i++) fn()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    fn()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { runs, medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]! }
}

/** Prints one line of a benchmark's results. */
export function report(name: string, fields: Record<string, string | number>): void {
  const text = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? value.toFixed(2) : value}`)
    .join('  ')
  console.log(`${name.padEnd(44)} ${text}`)
}
