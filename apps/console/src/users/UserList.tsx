import { Box, Button, Typography } from '@mui/material'
import { useState } from 'react'
import {
  BooleanField,
  BooleanInput,
  Create,
  Datagrid,
  DeleteButton,
  List,
  ReferenceManyField,
  required,
  Show,
  SimpleForm,
  SimpleShowLayout,
  TextField,
  TextInput,
  useNavigate,
  useNotify,
  useRecordContext,
  useRefresh,
} from 'react-admin'
import { messageOf } from '../api/errors.js'
import { ShownOnce } from '../common/ShownOnce.js'
import { TimeField } from '../fields.js'
import { call } from '../providers.js'

/** Every user (admins). */
export function UserList() {
  return (
    <List
      perPage={50}
      sort={{ field: 'id', order: 'ASC' }}
      filters={[<TextInput key="q" source="q" label="Search" alwaysOn />]}
    >
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <TextField source="id" />
        <TextField source="name" />
        <BooleanField source="is_admin" label="Admin" />
      </Datagrid>
    </List>
  )
}

/** Creates a user; its first token is shown once. */
export function UserCreate() {
  const [token, setToken] = useState<string | null>(null)
  const [userId, setUserId] = useState<string | null>(null)
  const navigate = useNavigate()
  return (
    <>
      <Create
        mutationOptions={{
          onSuccess: (data: Record<string, unknown>) => {
            setUserId(String(data.id))
            setToken(typeof data.token === 'string' ? data.token : null)
          },
        }}
      >
        <SimpleForm>
          <TextInput source="name" validate={required()} />
          <BooleanInput source="is_admin" label="Admin" />
        </SimpleForm>
      </Create>
      <ShownOnce
        title="The user's first token"
        secret={token}
        onClose={() => {
          setToken(null)
          navigate(userId ? `/users/${userId}/show` : '/users')
        }}
      />
    </>
  )
}

function Tokens() {
  const user = useRecordContext<{ id: number; name: string }>()
  const [token, setToken] = useState<string | null>(null)
  const notify = useNotify()
  const refresh = useRefresh()
  if (!user) return null
  return (
    <Box>
      <Typography variant="subtitle2">Tokens</Typography>
      <ReferenceManyField reference="tokens" target="user_id" perPage={50}>
        <Datagrid bulkActionButtons={false} rowClick={false}>
          <TextField source="id" />
          <TextField source="prefix" />
          <TimeField source="created_at" label="Created" />
          <DeleteButton
            label="Revoke"
            mutationMode="pessimistic"
            redirect={false}
            mutationOptions={{ meta: { user_id: user.id } }}
            confirmTitle="Revoke this token?"
            confirmContent="Calls made with it are refused from now on."
          />
        </Datagrid>
      </ReferenceManyField>
      <Button
        sx={{ mt: 1 }}
        variant="outlined"
        onClick={() =>
          void call<{ token: string }>('POST', `/api/users/${user.id}/tokens`, { body: {} })
            .then((answer) => {
              setToken(answer.token)
              refresh()
            })
            .catch((e: unknown) => notify(messageOf(e), { type: 'error' }))
        }
      >
        New token
      </Button>
      <ShownOnce
        title={`A new token of ${user.name}`}
        secret={token}
        onClose={() => setToken(null)}
      />
    </Box>
  )
}

/** A user and their tokens: create and revoke. */
export function UserShow() {
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="id" />
        <TextField source="name" />
        <BooleanField source="is_admin" label="Admin" />
        <Tokens />
      </SimpleShowLayout>
    </Show>
  )
}
