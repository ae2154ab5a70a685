import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { type AppEnv, decimalInteger, errorSchema } from '../http.js'

/** The largest page a list answers. */
export const MAX_PER_PAGE = 200

/** The paging and sorting parameters every console list takes, with the sort fields it allows. */
export function listQuery<const S extends readonly [string, ...string[]]>(sortFields: S) {
  return {
    page: decimalInteger(1, 1_000_000).optional().openapi({ description: '1-based page' }),
    per_page: decimalInteger(1, MAX_PER_PAGE)
      .optional()
      .openapi({ description: `rows per page (25; at most ${MAX_PER_PAGE})` }),
    sort: z.enum(sortFields).optional(),
    order: z.enum(['asc', 'desc']).optional(),
  }
}

/** A list answer: one page of rows and how many rows match in all. */
export function listOf<T extends z.ZodType>(row: T) {
  return z.object({ data: z.array(row), total: z.number().int() })
}

/** The offset and limit of a page. */
export function pageOf(q: { page?: number | undefined; per_page?: number | undefined }): {
  offset: number
  limit: number
} {
  const limit = q.per_page ?? 25
  return { offset: ((q.page ?? 1) - 1) * limit, limit }
}

/** An epoch-milliseconds time of a query. */
export const epochMs = decimalInteger(0, 8_640_000_000_000_000).openapi({
  description: 'epoch milliseconds',
})

/** An error answer of the OpenAPI document. */
export const fail = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
})

/** The validated part of a request. */
export function valid<T>(c: Context<AppEnv>, target: 'json' | 'param' | 'query'): T {
  return (c.req as unknown as { valid(t: string): T }).valid(target)
}

/** A database number as a number (MySQL answers some columns as strings). */
export function num(value: unknown): number {
  return Number(value)
}

/** A nullable database number. */
export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}

/** Parses stored JSON text; text that does not parse is answered as it is. */
export function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
