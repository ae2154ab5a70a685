import {
  buildTree,
  EmptyEndEvent,
  EmptyStartEvent,
  type EngineTree,
  ServiceActivity,
} from '@culm/tree'
import { type Component, ComponentRegistry } from './component-registry.js'
import { RuntimeInterruptedError } from './errors.js'
import type { MemoryRuntime } from './memory-runtime.js'
import type { Runtime } from './ports/runtime.js'

/**
 * Components that count their calls (`calls`, keyed `node:execute` / `node:schedule`):
 * `counted` runs at once, `poller` polls every second and is done on its second poll, `waiter`
 * waits for a callback; `extra` adds a test's own, which may use `count`.
 */
export function countingComponents(
  extra: (count: (key: string) => void) => Component[] = () => [],
) {
  const calls = new Map<string, number>()
  const count = (key: string) => {
    calls.set(key, (calls.get(key) ?? 0) + 1)
  }
  const components: Component[] = [
    {
      code: 'counted',
      execute: (data, _parent, controls) => {
        count(`${controls.nodeId}:execute`)
        data.setOutput('node_id', controls.nodeId)
      },
    },
    {
      code: 'poller',
      interval: 1,
      execute: (_data, _parent, controls) => count(`${controls.nodeId}:execute`),
      schedule: (_data, _parent, _callback, controls) => {
        count(`${controls.nodeId}:schedule`)
        if (controls.scheduleTimes + 1 >= 2) controls.finishSchedule()
      },
    },
    {
      code: 'waiter',
      execute: (_data, _parent, controls) => count(`${controls.nodeId}:execute`),
      schedule: (data, _parent, callbackData, controls) => {
        count(`${controls.nodeId}:schedule`)
        data.setOutput('callback_data', callbackData)
      },
    },
  ]
  return { calls, registry: new ComponentRegistry().register(...components, ...extra(count)) }
}

/** start -> one activity per code -> end */
export function sequenceOf(...codes: string[]): { tree: EngineTree; ids: string[] } {
  const start = new EmptyStartEvent()
  let tail: EmptyStartEvent | ServiceActivity = start
  const ids: string[] = []
  for (const code of codes) {
    const activity = new ServiceActivity({ componentCode: code })
    ids.push(activity.id)
    tail = tail.extend(activity)
  }
  tail.extend(new EmptyEndEvent())
  return { tree: buildTree(start), ids }
}

/**
 * A memory runtime whose storage can go down: while `down` transactions are left, each is
 * interrupted before it runs, as a lost connection would interrupt it; `downAfterCommit` is the
 * outage the next commit starts. `ackLost` drops the next ack a branch sends its parent.
 */
export function failingStorage(
  memory: MemoryRuntime,
  message = 'Connection lost: The server closed the connection.',
) {
  const storage = { down: 0, downAfterCommit: 0, ackLost: false }
  const bound = <T extends object>(target: T, key: string | symbol, receiver: unknown) => {
    const value = Reflect.get(target, key, receiver)
    return typeof value === 'function' ? value.bind(target) : value
  }
  const losingAcks = (tx: Runtime) =>
    new Proxy(tx, {
      get(inner, name, receiver) {
        if (name === 'addAck' && storage.ackLost) {
          storage.ackLost = false
          return async (id: string) => ((await inner.getProcess(id))?.ackNum ?? 0) + 1
        }
        return bound(inner, name, receiver)
      },
    })
  const runtime = new Proxy(memory, {
    get(target, key, receiver) {
      if (key !== 'transaction') return bound(target, key, receiver)
      return async <T>(fn: (tx: Runtime) => Promise<T>): Promise<T> => {
        if (storage.down > 0) {
          storage.down--
          throw new RuntimeInterruptedError(message)
        }
        const committed = await target.transaction((tx) => fn(losingAcks(tx)))
        if (storage.downAfterCommit > 0) storage.down = storage.downAfterCommit
        storage.downAfterCommit = 0
        return committed
      }
    },
  })
  return { runtime: runtime as Runtime, storage }
}
