import { Box, Chip, Stack, Typography } from '@mui/material'
import { useEffect, useState } from 'react'
import {
  Datagrid,
  FunctionField,
  Link,
  List,
  NumberInput,
  SelectInput,
  useRecordContext,
  useRefresh,
} from 'react-admin'
import { EngineField, TimeField } from '../fields.js'
import { retryInput } from '../plugins/components.js'
import { call } from '../providers.js'
import { type ActionInput, AdminActionButton, AdminActionHost } from '../runs/AdminActionButton.js'
import { ADMIN_ACTIONS, type AdminAction } from '../runs/admin-actions.js'

/** What the stuck query found, and the engine-admin action that safely unblocks it. */
interface Stuck {
  id: string
  kind: string
  run_id: string
  run_name?: string
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

/** A retry offers the failed node's inputs in its component's form, to edit before retrying. */
function useRetryInput(stuck: Stuck | undefined): ActionInput | null {
  const [input, setInput] = useState<ActionInput | null>(null)
  const retry = stuck?.action?.name === 'node_retry' && stuck.node_id ? stuck : null
  useEffect(() => {
    if (!retry?.node_id) return
    let cancelled = false
    const load = async () => {
      const node = await call<{
        inputs?: Record<string, unknown>
        component?: { code: string; version: string } | null
      }>(
        'GET',
        `/api/runs/${encodeURIComponent(retry.run_id)}/nodes/${encodeURIComponent(retry.node_id!)}`,
      )
      const next = await retryInput(node.inputs, node.component)
      if (!cancelled) setInput(next)
    }
    load().catch(() => {})
    return () => {
      cancelled = true
    }
  }, [retry?.run_id, retry?.node_id])
  return input
}

function UnblockButton() {
  const stuck = useRecordContext<Stuck>()
  const refresh = useRefresh()
  const retryInput = useRetryInput(stuck)
  if (!stuck?.action || !isAction(stuck.action.name)) return null
  const { action } = stuck
  return (
    <AdminActionButton
      engineType={action.engine_type}
      action={action.name as AdminAction}
      instanceId={action.instance_id}
      target={`${stuck.node_id ?? stuck.run_id}`}
      input={retryInput ?? { kind: 'fixed', body: action.body ?? {} }}
      onDone={refresh}
    />
  )
}

const filters = [
  <SelectInput
    key="kind"
    source="kind"
    choices={Object.entries(KIND_LABELS).map(([id, name]) => ({ id, name }))}
    alwaysOn
  />,
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
              <Link to={`/runs/${encodeURIComponent(r.run_id)}/show`} data-run-id={r.run_id}>
                {r.run_name ?? r.run_id}
              </Link>
            )}
          />
          <EngineField source="engine_type" label="Engine type" sortable={false} />
          <TimeField source="since" label="Since" sortable={false} />
          <FunctionField
            label="What"
            render={(r: Stuck) => (
              <Box sx={{ minWidth: 260 }}>
                {r.detail}
                {r.node_id && (
                  <Typography variant="caption" component="div" color="text.secondary">
                    node {r.node_id}
                  </Typography>
                )}
              </Box>
            )}
          />
          <FunctionField
            label="Safe action"
            render={(r: Stuck) => (
              <Stack spacing={0.5} sx={{ minWidth: 200, alignItems: 'flex-start' }}>
                <span>{r.action?.label ?? 'none: look at the run'}</span>
                <UnblockButton />
              </Stack>
            )}
          />
        </Datagrid>
      </List>
    </AdminActionHost>
  )
}
