import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { UserStore } from '../auth/users.js'
import { ServerError } from '../errors.js'
import { type AppEnv, BEARER, decimalInteger, errorSchema } from '../http.js'

const userSchema = z
  .object({ id: z.number().int(), name: z.string(), is_admin: z.boolean() })
  .openapi('User')
const createdSchema = z
  .object({ user: userSchema, token: z.string().describe('Shown once; only its hash is kept') })
  .openapi('UserWithToken')
const errors = {
  400: {
    description: 'A malformed body',
    content: { 'application/json': { schema: errorSchema } },
  },
  403: { description: 'Admins only', content: { 'application/json': { schema: errorSchema } } },
}

function asJson(u: { id: number; name: string; isAdmin: boolean }) {
  return { id: u.id, name: u.name, is_admin: u.isAdmin }
}

function requireAdmin(c: Context<AppEnv>): void {
  if (!c.get('user').isAdmin) throw new ServerError('FORBIDDEN', 'only an admin may manage users')
}

/** `GET /api/me`, `GET`/`POST /api/users`, `GET /api/users/{id}`, `POST /api/users/{id}/tokens`. */
export function registerUserRoutes(app: OpenAPIHono<AppEnv>, users: UserStore): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/me',
      tags: ['users'],
      summary: 'The caller',
      security: BEARER,
      responses: {
        200: { description: 'The caller', content: { 'application/json': { schema: userSchema } } },
      },
    }),
    (c) => c.json(asJson(c.get('user')), 200),
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/users',
      tags: ['users'],
      summary: 'Every user (admins only)',
      security: BEARER,
      responses: {
        200: {
          description: 'The users',
          content: { 'application/json': { schema: z.array(userSchema) } },
        },
        403: errors[403],
      },
    }),
    (async (c: Context<AppEnv>) => {
      requireAdmin(c)
      return c.json((await users.list()).map(asJson), 200)
    }) as never,
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/users',
      tags: ['users'],
      summary: 'Creates a user and its first token (admins only)',
      security: BEARER,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({
                name: z.string().trim().min(1).max(128),
                is_admin: z.boolean().optional(),
              }),
            },
          },
        },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: createdSchema } } },
        ...errors,
        409: {
          description: 'The name is taken',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    }),
    (async (c: Context<AppEnv>) => {
      requireAdmin(c)
      const body = (
        c.req as unknown as { valid(t: 'json'): { name: string; is_admin?: boolean } }
      ).valid('json')
      const created = await users.create(body.name, body.is_admin ?? false)
      return c.json({ user: asJson(created.user), token: created.token }, 201)
    }) as never,
  )
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/users/{id}',
      tags: ['users'],
      summary: 'One user (admins, or the user itself)',
      security: BEARER,
      request: { params: z.object({ id: decimalInteger(1, Number.MAX_SAFE_INTEGER) }) },
      responses: {
        200: { description: 'The user', content: { 'application/json': { schema: userSchema } } },
        ...errors,
        404: {
          description: 'No such user',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    }),
    (async (c: Context<AppEnv>) => {
      const id = Number(c.req.param('id'))
      if (c.get('user').id !== id) requireAdmin(c)
      const user = await users.get(id)
      if (!user) throw new ServerError('NOT_FOUND', `user ${id} does not exist`)
      return c.json(asJson(user), 200)
    }) as never,
  )
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/users/{id}/tokens',
      tags: ['users'],
      summary: 'Gives a user a new token (admins, or the user itself)',
      security: BEARER,
      request: { params: z.object({ id: decimalInteger(1, Number.MAX_SAFE_INTEGER) }) },
      responses: {
        201: {
          description: 'The new token',
          content: { 'application/json': { schema: z.object({ token: z.string() }) } },
        },
        ...errors,
        404: {
          description: 'No such user',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    }),
    (async (c: Context<AppEnv>) => {
      const id = Number(c.req.param('id'))
      if (c.get('user').id !== id) requireAdmin(c)
      if (!(await users.get(id))) throw new ServerError('NOT_FOUND', `user ${id} does not exist`)
      return c.json({ token: await users.addToken(id) }, 201)
    }) as never,
  )
}
