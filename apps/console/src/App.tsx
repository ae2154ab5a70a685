import { Admin, Resource } from 'react-admin'
import apps from './apps/index.js'
import categories from './categories/index.js'
import { LoginPage } from './LoginPage.js'
import operations from './operations/index.js'
import plugins from './plugins/index.js'
import projects from './projects/index.js'
import { TaskCreate } from './projects/TaskCreate.js'
import { authProvider, dataProvider } from './providers.js'
import runs from './runs/index.js'
import stuck from './stuck/index.js'
import users from './users/index.js'

/** The console: every resource behind a token login; users, tokens and apps for admins only. */
export function App() {
  return (
    <Admin
      title="Culm console"
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      disableTelemetry
    >
      {(permissions: string) => {
        const admin = permissions === 'admin'
        return [
          <Resource key="runs" name="runs" {...runs} />,
          <Resource key="stuck" name="stuck" {...stuck} />,
          <Resource
            key="projects"
            name="projects"
            {...projects}
            create={admin ? projects.create : undefined}
          />,
          <Resource key="tasks" name="tasks" create={TaskCreate} />,
          <Resource key="categories" name="categories" {...categories} />,
          <Resource key="plugins" name="plugins" {...plugins} />,
          <Resource key="operations" name="operations" {...operations} />,
          ...(admin
            ? [
                <Resource key="users" name="users" {...users} />,
                <Resource key="tokens" name="tokens" />,
                <Resource key="apps" name="apps" {...apps} />,
              ]
            : []),
        ]
      }}
    </Admin>
  )
}
