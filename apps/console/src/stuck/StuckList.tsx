import { Chip } from '@mui/material'
import {
  Datagrid,
  FunctionField,
  Link,
  List,
  NumberInput,
  TextField,
  useRecordContext,
  useRefresh,
} from 'react-admin'
import { EngineField, TimeField } from '../fields.js'
import { AdminActionButton, AdminActionHost } from '../runs/AdminActionButton.js'
import { ADMIN_ACTIONS, type AdminAction } from '../runs/admin-actions.js'

/** What the stuck query found, and the engine-admin action that safely unblocks it. */
interface Stuck {
  id: string
  kind: string
  run_id: string
  engine_type: string
  node_id: string | null
  since: number | null
  detail: string
  action: {
    name: string
    engine_type: string
    instance_id: string
    body?: Record<string, unknown>
    label?: string
  } | null
}

const KIND_LABELS: Record<string, string> = {
  idle_run: 'idle run',
  long_running_node: 'node running long',
  overdue_schedule: 'schedule overdue',
  converge_waiting: 'converge waiting on ended branches',
  terminal_node: 'process on a finished node',
}

function isAction(name: string): name is AdminAction {
  return (ADMIN_ACTIONS as readonly string[]).includes(name)
}

function UnblockButton() {
  const stuck = useRecordContext<Stuck>()
  const refresh = useRefresh()
  if (!stuck?.action || !isAction(stuck.action.name)) return <span>—</span>
  const { action } = stuck
  return (
    <AdminActionButton
      engineType={action.engine_type}
      action={action.name as AdminAction}
      instanceId={action.instance_id}
      target={`${stuck.node_id ?? stuck.run_id}`}
      input={{ kind: 'fixed', body: action.body ?? {} }}
      {...(action.label ? { label: action.label } : {})}
      onDone={refresh}
    />
  )
}

const filters = [
  <NumberInput
    key="running_longer_than"
    source="running_longer_than"
    label="Running longer than (s)"
    alwaysOn
  />,
]

/** Runs that look alive but do nothing, each with the safe action that unblocks it. */
export function StuckList() {
  return (
    <AdminActionHost>
      <List
        filters={filters}
        filterDefaultValues={{ running_longer_than: 3600 }}
        perPage={50}
        sort={{ field: 'id', order: 'ASC' }}
        title="Stuck runs"
      >
        <Datagrid bulkActionButtons={false} rowClick={false}>
          <FunctionField
            label="Kind"
            render={(r: Stuck) => (
              <Chip
                size="small"
                color="warning"
                label={KIND_LABELS[r.kind] ?? r.kind}
                data-kind={r.kind}
              />
            )}
          />
          <FunctionField
            label="Run"
            render={(r: Stuck) => (
              <Link to={`/runs/${encodeURIComponent(r.run_id)}/show`}>{r.run_id}</Link>
            )}
          />
          <EngineField source="engine_type" label="Engine type" />
          <TextField source="node_id" label="Node" emptyText="—" sortable={false} />
          <TimeField source="since" label="Since" />
          <TextField source="detail" sortable={false} />
          <UnblockButton />
        </Datagrid>
      </List>
    </AdminActionHost>
  )
}
