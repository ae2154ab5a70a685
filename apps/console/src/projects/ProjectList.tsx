import {
  Create,
  Datagrid,
  List,
  NumberInput,
  required,
  SimpleForm,
  TextField,
  TextInput,
} from 'react-admin'
import { TimeField } from '../fields.js'

/** The projects the caller is a member of (every project for an admin). */
export function ProjectList() {
  return (
    <List
      perPage={25}
      sort={{ field: 'id', order: 'ASC' }}
      filters={[<TextInput key="q" source="q" label="Search" alwaysOn />]}
    >
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <TextField source="id" />
        <TextField source="name" />
        <TextField source="description" />
        <TextField source="bk_biz_id" label="Business id" />
        <TimeField source="created_at" label="Created" />
      </Datagrid>
    </List>
  )
}

/** Creates a project (admins). */
export function ProjectCreate() {
  return (
    <Create redirect="show">
      <SimpleForm>
        <TextInput source="name" validate={required()} />
        <TextInput source="description" />
        <NumberInput source="bk_biz_id" label="Business id" validate={required()} />
      </SimpleForm>
    </Create>
  )
}
