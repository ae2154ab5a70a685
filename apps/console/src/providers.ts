import { createAuthProvider } from './api/auth-provider.js'
import { createDataProvider } from './api/data-provider.js'
import { tokenStore } from './api/token.js'

/** The data provider of the app, on the page's own origin (the server serves the console). */
export const dataProvider = createDataProvider({ token: () => tokenStore.get() })

/** The JSON caller for calls outside react-admin's resources (graph, admin actions, validation). */
export const call = dataProvider.call

/** The auth provider of the app: a bearer token checked by `GET /api/me`. */
export const authProvider = createAuthProvider(call, tokenStore)
