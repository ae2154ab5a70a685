import type {
  ComponentCallInput,
  ComponentCallOptions,
  ComponentCallResult,
  ComponentInfo,
  ComponentRef,
  ComponentRunner,
} from '@culm/engine'
import { ComponentNotFoundError } from '@culm/engine'

/**
 * One runner over several: a component or lazy variable is served by the first runner that knows
 * it, e.g. sandboxed plugins first and an in-process registry after them.
 * @example
 * const components = combineRunners(sandbox.runner, createTestkitRegistry())
 */
export function combineRunners(...runners: ComponentRunner[]): ComponentRunner {
  const owner = (ref: ComponentRef): ComponentRunner | undefined =>
    runners.find((runner) => runner.info(ref) !== undefined)
  return {
    info(ref: ComponentRef): ComponentInfo | undefined {
      return owner(ref)?.info(ref)
    },
    async run(
      ref: ComponentRef,
      phase: 'execute' | 'schedule',
      input: ComponentCallInput,
      options?: ComponentCallOptions,
    ): Promise<ComponentCallResult> {
      const runner = owner(ref)
      if (!runner) throw new ComponentNotFoundError(ref.code, ref.version)
      return runner.run(ref, phase, input, options)
    },
    hasLazy(code: string): boolean {
      return runners.some((runner) => runner.hasLazy?.(code) === true)
    },
    async lazy(code, value, context): Promise<unknown> {
      const runner = runners.find((r) => r.hasLazy?.(code) === true)
      if (!runner?.lazy) throw new ComponentNotFoundError(code, 'lazy')
      return runner.lazy(code, value, context)
    },
  }
}
