import { describe, expect, it } from 'vitest'
import type { PluginIsolate } from './isolate.js'
import { IsolatePool } from './pool.js'

/** Stand-ins for isolates: the pool only asks whether one is disposed and disposes it. */
interface StandIn {
  id: number
  disposed: boolean
  dispose(): void
  /** Set by the pool while the isolate is busy. */
  onHostWait: ((waiting: boolean) => void) | undefined
  heap: number
  heapBytes(): number
}

function isolates() {
  const made: StandIn[] = []
  const start = async () => {
    const isolate: StandIn = {
      id: made.length + 1,
      disposed: false,
      onHostWait: undefined,
      heap: 1_000_000,
      heapBytes() {
        return this.heap
      },
      dispose() {
        this.disposed = true
      },
    }
    made.push(isolate)
    return isolate as unknown as PluginIsolate
  }
  return { made, start }
}

/** A call that holds its isolate until `release` is called; `id` tells which isolate it had. */
function heldCall(pool: IsolatePool) {
  let release!: () => void
  let id = 0
  const done = pool.use(async (isolate) => {
    id = (isolate as unknown as { id: number }).id
    await new Promise<void>((resolve) => {
      release = resolve
    })
  })
  return { done, release: () => release(), id: () => id }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('IsolatePool', () => {
  it('runs one call per isolate, at most max at once; the next waits for a free one', async () => {
    const { made, start } = isolates()
    const pool = new IsolatePool(start, 2)
    const first = heldCall(pool)
    const second = heldCall(pool)
    const third = heldCall(pool)
    await tick()
    expect(made).toHaveLength(2)
    expect(third.id()).toBe(0)
    first.release()
    await first.done
    await tick()
    expect(third.id()).toBe(first.id())
    second.release()
    third.release()
    await Promise.all([second.done, third.done])
    pool.close()
    expect(made.every((i) => i.disposed)).toBe(true)
  })

  it('starts isolates beside calls that wait on the host, up to maxCalls', async () => {
    const { made, start } = isolates()
    const pool = new IsolatePool(start, 2, undefined, { maxCalls: 4 })
    const first = heldCall(pool)
    const second = heldCall(pool)
    await tick()
    expect(pool.size).toBe(2)
    // Both running code: a third call waits.
    const third = heldCall(pool)
    await tick()
    expect(third.id()).toBe(0)
    // The first starts waiting on a fetch: the third gets an isolate of its own at once.
    made[0]!.onHostWait?.(true)
    await tick()
    expect(third.id()).toBe(3)
    // The second waits too: one more may start, but no further than maxCalls.
    made[1]!.onHostWait?.(true)
    const fourth = heldCall(pool)
    const fifth = heldCall(pool)
    await tick()
    expect(fourth.id()).toBe(4)
    expect(fifth.id()).toBe(0)
    expect(pool.size).toBe(4)
    // The fetch answered: the first runs code again, and nothing new starts.
    made[0]!.onHostWait?.(false)
    first.release()
    await first.done
    await tick()
    // The third and the fourth run code: two, as many as max; the fifth still waits.
    expect(fifth.id()).toBe(0)
    third.release()
    await third.done
    await tick()
    // The fifth takes the isolate the third gave back.
    expect(fifth.id()).toBe(3)
    for (const call of [second, fourth, fifth]) call.release()
    await Promise.all([second.done, fourth.done, fifth.done])
    // A released isolate is no longer followed.
    expect(made.every((isolate) => isolate.onHostWait === undefined)).toBe(true)
    pool.close()
  })

  it('runs at most max calls at once on the isolates that waiting calls left idle', async () => {
    const { made, start } = isolates()
    const pool = new IsolatePool(start, 1, undefined, { maxCalls: 3 })
    const waiting = [heldCall(pool)]
    await tick()
    made[0]!.onHostWait?.(true)
    waiting.push(heldCall(pool))
    await tick()
    made[1]!.onHostWait?.(true)
    waiting.push(heldCall(pool))
    await tick()
    expect(pool.size).toBe(3)
    for (const call of waiting) call.release()
    await Promise.all(waiting.map((call) => call.done))
    // Three idle isolates, but one call runs code at a time.
    const first = heldCall(pool)
    const second = heldCall(pool)
    await tick()
    expect(first.id()).not.toBe(0)
    expect(second.id()).toBe(0)
    first.release()
    await first.done
    await tick()
    expect(second.id()).not.toBe(0)
    second.release()
    await second.done
    pool.close()
  })

  it('starts none beside waiting calls whose isolates hold more than waitingMemoryBytes', async () => {
    const { made, start } = isolates()
    const pool = new IsolatePool(start, 1, undefined, {
      maxCalls: 8,
      waitingMemoryBytes: 50_000_000,
    })
    const first = heldCall(pool)
    await tick()
    // The first call filled its heap, then waits on a fetch.
    made[0]!.heap = 60_000_000
    made[0]!.onHostWait?.(true)
    const second = heldCall(pool)
    await tick()
    expect(second.id()).toBe(0)
    // Its heap collected: the next call may start beside it.
    made[0]!.heap = 2_000_000
    made[0]!.onHostWait?.(true)
    await tick()
    expect(second.id()).toBe(2)
    first.release()
    second.release()
    await Promise.all([first.done, second.done])
    pool.close()
  })

  it('disposes isolates idle for idleMs, keeping the most recently used one warm', async () => {
    const { made, start } = isolates()
    let now = 0
    const pool = new IsolatePool(start, 4, undefined, { idleMs: 60_000, now: () => now })
    const calls = Array.from({ length: 4 }, () => heldCall(pool))
    await tick()
    expect(pool.size).toBe(4)
    for (const call of calls) {
      call.release()
      await call.done
      now += 1000
    }
    // At 59 s the first one freed has been idle 59 s: none goes yet.
    now = 59_000
    pool.trimIdle()
    expect(pool.size).toBe(4)
    now = 62_000
    pool.trimIdle()
    // Idle since 0, 1 and 2 s: gone; the last one freed (3 s) would be kept anyway.
    expect(pool.size).toBe(1)
    expect(made.filter((i) => i.disposed).map((i) => i.id)).toEqual([1, 2, 3])
    now = 1_000_000
    pool.trimIdle()
    expect(pool.size).toBe(1)
    // The next call gets the warm isolate, without starting one.
    const next = heldCall(pool)
    await tick()
    expect(next.id()).toBe(4)
    expect(made).toHaveLength(4)
    next.release()
    await next.done
    pool.close()
  })
})
