import { Admin, CustomRoutes, Resource } from 'react-admin'
import { LoginPage } from './LoginPage.js'
import { authProvider, dataProvider } from './providers.js'
import runs from './runs/index.js'

/** The console: every resource behind a token login. */
export function App() {
  return (
    <Admin
      title="Culm console"
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      requireAuth
    >
      {(permissions: string) => [
        <Resource key="runs" name="runs" {...runs} />,
        <CustomRoutes key="custom">{[]}</CustomRoutes>,
        ...(permissions === 'admin' ? [] : []),
      ]}
    </Admin>
  )
}
