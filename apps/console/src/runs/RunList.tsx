import {
  Datagrid,
  DateTimeInput,
  FunctionField,
  List,
  ReferenceInput,
  SelectInput,
  TextField,
  TextInput,
} from 'react-admin'
import { EngineField, StateField, TimeField } from '../fields.js'
import { ENGINE_TYPES, STATES } from '../states.js'

const choices = (values: readonly string[]) => values.map((v) => ({ id: v, name: v }))

const filters = [
  <TextInput key="q" source="q" label="Search" alwaysOn />,
  <SelectInput key="state" source="state" choices={choices(STATES)} alwaysOn />,
  <SelectInput
    key="engine_type"
    source="engine_type"
    label="Engine type"
    choices={choices(ENGINE_TYPES)}
    alwaysOn
  />,
  <ReferenceInput key="project_id" source="project_id" reference="projects">
    <SelectInput optionText="name" label="Project" />
  </ReferenceInput>,
  <TextInput key="task_name" source="task_name" label="Task name" />,
  <DateTimeInput key="started_after" source="started_after" label="Started after" />,
  <DateTimeInput key="started_before" source="started_before" label="Started before" />,
]

/** Every run the engine knows, both engine types, newest first. */
export function RunList() {
  return (
    <List filters={filters} sort={{ field: 'created_at', order: 'DESC' }} perPage={25}>
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <TextField source="name" sortable={false} />
        <StateField source="state" label="State" />
        <EngineField source="engine_type" label="Engine type" sortable={false} />
        <FunctionField
          label="Project / task"
          render={(r) =>
            r.project_name ? `${r.project_name} / ${r.task_name ?? r.task_id ?? ''}` : '—'
          }
        />
        <TextField source="creator" sortable={false} emptyText="—" />
        <TimeField source="created_at" label="Created" />
        <TimeField source="started_time" label="Started" />
        <TimeField source="archived_time" label="Archived" />
      </Datagrid>
    </List>
  )
}
