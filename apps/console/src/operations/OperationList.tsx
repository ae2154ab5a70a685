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

/** One entry of the operation log. */
interface Operation {
  id: number
  project_id: number | null
  project_name: string | null
  task_id: number | null
  node_id: string | null
  user_id: number
  operator: string | null
  app_code: string | null
  operation: string
  detail: unknown
  created_at: number
}

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
        <TimeField source="created_at" label="When" />
        <FunctionField
          label="Who"
          sortBy="user_id"
          render={(r: Operation) =>
            `${r.operator ?? r.user_id}${r.app_code ? ` via ${r.app_code}` : ''}`
          }
        />
        <TextField source="operation" />
        <FunctionField
          label="Project"
          sortBy="project_id"
          render={(r: Operation) => r.project_name ?? r.project_id ?? '—'}
        />
        <TextField source="task_id" label="Task" emptyText="—" />
        <TextField source="node_id" label="Node" emptyText="—" sortable={false} />
        <FunctionField
          label="Detail"
          render={(r: Operation) => (
            <code style={{ fontSize: 11 }}>
              {typeof r.detail === 'string' ? r.detail : JSON.stringify(r.detail)}
            </code>
          )}
        />
      </Datagrid>
    </List>
  )
}
