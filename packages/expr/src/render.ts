import type { ExprError } from './errors.js'
import { renderValue } from './internal/fragments.js'
import { bareContext } from './internal/objects.js'

/** Options of `render`. */
export interface RenderOptions {
  /** Told about each fragment left unrendered (unknown name, syntax, refused access...). */
  onError?: (error: ExprError) => void
}

/**
 * Renders the `${...}` templates in every string inside `value` and returns new structures.
 * A string that is exactly one fragment keeps the value's type; otherwise values are
 * substituted as text (True/False/None, JSON for lists and objects). A fragment that fails
 * is left as it was. Context keys may be `key` or `${key}`.
 * @example
 * render({ n: '${count}', msg: 'hello ${name|upper}', first: '${ips.split(",")[0]}' }, {
 *   count: 3,
 *   name: 'ada',
 *   ips: '10.0.0.1,10.0.0.2',
 * }) // { n: 3, msg: 'hello ADA', first: '10.0.0.1' }
 */
export function render(
  value: unknown,
  context: Record<string, unknown>,
  options: RenderOptions = {},
): unknown {
  return renderValue(value, bareContext(context), options.onError)
}
