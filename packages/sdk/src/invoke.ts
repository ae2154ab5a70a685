import type {
  CallRequest,
  CallResult,
  Capabilities,
  ComponentDefinition,
  ExecuteContext,
  HttpRequest,
  HttpResponse,
  LazyVariableDefinition,
  Logger,
  ScheduleContext,
} from './types.js'

function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  let text: string
  try {
    text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error))
  } catch {
    text = Object.prototype.toString.call(error)
  }
  return `the component threw a non-Error value: ${text}`
}

function isFailure(value: unknown): value is { success: false; error: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { success?: unknown }).success === false &&
    typeof (value as { error?: unknown }).error === 'string'
  )
}

/** The first place where a value is not plain JSON, as `outputs.key[2]: function`, or undefined. */
export function jsonProblem(
  value: unknown,
  path: string,
  seen: unknown[] = [],
): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`
    case 'object': {
      if (value === null) return undefined
      if (seen.includes(value)) return `${path}: a circular reference`
      const proto = Object.getPrototypeOf(value)
      if (Array.isArray(value)) {
        seen.push(value)
        for (let i = 0; i < value.length; i++) {
          const problem = jsonProblem(value[i], `${path}[${i}]`, seen)
          if (problem) return problem
        }
        seen.pop()
        return undefined
      }
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as object).constructor?.name ?? 'object'
        return `${path}: a ${name} is not a plain JSON object`
      }
      seen.push(value)
      for (const key of Object.keys(value)) {
        const problem = jsonProblem((value as Record<string, unknown>)[key], `${path}.${key}`, seen)
        if (problem) return problem
      }
      seen.pop()
      return undefined
    }
    default:
      return `${path}: a ${typeof value} is not JSON`
  }
}

/**
 * The result as JSON text, or, when the outputs are not JSON or exceed `maxBytes`, a failure
 * that keeps the outputs the call started with.
 */
export function encodeResult(
  result: CallResult,
  startOutputs: Record<string, unknown>,
  maxBytes: number,
): string {
  let problem = jsonProblem(result.outputs, 'outputs')
  let text = ''
  if (!problem) {
    try {
      text = JSON.stringify(result)
    } catch (error) {
      problem = `outputs cannot be written as JSON (${describeThrown(error)})`
    }
  }
  // Characters, not bytes: a cheap bound checked again by the host on the bytes it receives.
  if (!problem && text.length > maxBytes) {
    problem = `the result is ${text.length} characters, over the limit of ${maxBytes}`
  }
  if (!problem) return text
  return JSON.stringify({
    success: false,
    outputs: startOutputs,
    finished: false,
    error: `invalid component result: ${problem}`,
  })
}

function makeLogger(caps: Capabilities): Logger {
  return {
    info: (message, fields) => caps.log('info', String(message), fields),
    warn: (message, fields) => caps.log('warn', String(message), fields),
    error: (message, fields) => caps.log('error', String(message), fields),
  }
}

async function fetchWith(
  caps: Capabilities,
  url: string,
  init?: HttpRequest,
): Promise<HttpResponse> {
  const answer = await caps.fetch(String(url), init)
  return {
    ...answer,
    ok: answer.status >= 200 && answer.status < 300,
    json: () => JSON.parse(answer.body),
  }
}

/**
 * Runs one execute or schedule call of a component, as the host does inside the isolate: builds
 * the context, awaits the component, and turns every outcome (also a throw) into a result.
 */
export async function invokeComponent(
  component: ComponentDefinition,
  request: CallRequest,
  caps: Capabilities,
): Promise<CallResult> {
  const outputs: Record<string, unknown> = { ...request.outputs }
  let finished = false
  let pollAfter: number | undefined
  const base: ExecuteContext = {
    data: request.inputs,
    outputs,
    setOutput: (key, value) => {
      outputs[key] = value
    },
    parentData: request.parentData,
    node: request.node,
    log: makeLogger(caps),
    fetch: (url, init) => fetchWith(caps, url, init),
    sleep: (seconds) => caps.sleep(seconds),
    secret: (name) => caps.secrets[name],
  }
  try {
    let outcome: unknown
    if (request.phase === 'execute') {
      outcome = await component.execute(base)
    } else {
      if (!component.schedule) {
        return {
          success: false,
          outputs,
          finished: false,
          error: `component ${component.code} has no schedule`,
        }
      }
      const ctx: ScheduleContext = {
        ...base,
        callbackData: request.callbackData,
        scheduleTimes: request.scheduleTimes,
        finish: () => {
          finished = true
        },
        pollAfter: (seconds) => {
          pollAfter = Math.max(0, Number(seconds) || 0)
        },
      }
      outcome = await component.schedule(ctx)
    }
    if (isFailure(outcome))
      return { success: false, outputs, finished: false, error: outcome.error }
    const result: CallResult = { success: outcome !== false, outputs, finished }
    if (request.phase === 'schedule' && component.interval !== undefined) {
      result.pollAfterSeconds =
        pollAfter ??
        (typeof component.interval === 'function'
          ? component.interval(request.scheduleTimes + 1)
          : component.interval)
    } else if (pollAfter !== undefined) {
      result.pollAfterSeconds = pollAfter
    }
    return result
  } catch (error) {
    return { success: false, outputs, finished: false, error: describeThrown(error) }
  }
}

/** Computes a lazy variable; a throw becomes a rejected promise with the component's message. */
export async function invokeLazyVariable(
  variable: LazyVariableDefinition,
  value: unknown,
  context: { pipelineData: Record<string, unknown>; innerLoop: number },
): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await variable.getValue(value, context) }
  } catch (error) {
    return { ok: false, error: describeThrown(error) }
  }
}
