import { useState } from 'react'
import {
  BooleanField,
  BooleanInput,
  Create,
  Datagrid,
  List,
  required,
  SimpleForm,
  TextField,
  TextInput,
  useNavigate,
} from 'react-admin'
import { ShownOnce } from '../common/ShownOnce.js'
import { TimeField } from '../fields.js'

/** The apps registered for the task API (admins). */
export function AppList() {
  return (
    <List perPage={50} sort={{ field: 'id', order: 'ASC' }}>
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TextField source="id" />
        <TextField source="code" />
        <BooleanField source="whitelisted" />
        <TimeField source="created_at" label="Created" />
      </Datagrid>
    </List>
  )
}

/** Registers an app; its secret is shown once. */
export function AppCreate() {
  const [secret, setSecret] = useState<string | null>(null)
  const navigate = useNavigate()
  return (
    <>
      <Create
        transform={(data: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(data).filter(([, v]) => v !== '' && v != null))
        }
        mutationOptions={{
          onSuccess: (data: Record<string, unknown>) =>
            setSecret(typeof data.secret === 'string' ? data.secret : null),
        }}
      >
        <SimpleForm>
          <TextInput source="code" validate={required()} />
          <TextInput source="secret" helperText="At least 16 characters; generated when empty" />
          <BooleanInput source="whitelisted" />
        </SimpleForm>
      </Create>
      <ShownOnce
        title="The app's secret"
        secret={secret}
        onClose={() => {
          setSecret(null)
          navigate('/apps')
        }}
      />
    </>
  )
}
