import {
  Datagrid,
  DateTimeInput,
  FunctionField,
  List,
  NumberInput,
  ReferenceInput,
  SelectInput,
  TextField,
  TextInput,
} from 'react-admin'
import { TimeField } from '../fields.js'

const filters = [
  <ReferenceInput key="project_id" source="project_id" reference="projects" alwaysOn>
    <SelectInput optionText="name" label="Project" />
  </ReferenceInput>,
  <TextInput key="operation" source="operation" label="Operation" alwaysOn />,
  <NumberInput key="user_id" source="user_id" label="User id" />,
  <NumberInput key="task_id" source="task_id" label="Task id" />,
  <DateTimeInput key="since" source="since" label="Since" />,
  <DateTimeInput key="until" source="until" label="Until" />,
]

/** Who did what: the operation log of the projects the caller may read (all for admins). */
export function OperationList() {
  return (
    <List
      filters={filters}
      perPage={50}
      sort={{ field: 'id', order: 'DESC' }}
      title="Operation log"
    >
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TimeField source="operate_time" label="When" />
        <FunctionField
          label="Who"
          render={(r) =>
            `${r.operator ?? r.user ?? r.user_id ?? '—'}${r.app_code ? ` via ${r.app_code}` : ''}`
          }
        />
        <TextField source="operation" />
        <TextField source="project_id" label="Project" emptyText="—" />
        <TextField source="task_id" label="Task" emptyText="—" />
        <TextField source="node_id" label="Node" emptyText="—" sortable={false} />
        <FunctionField
          label="Detail"
          render={(r) => (
            <code style={{ fontSize: 11 }}>
              {typeof r.detail === 'string' ? r.detail : JSON.stringify(r.detail)}
            </code>
          )}
        />
      </Datagrid>
    </List>
  )
}
