import {
  Alert,
  Box,
  Button,
  MenuItem,
  TextField as MuiTextField,
  Stack,
  Tab,
  Tabs,
} from '@mui/material'
import { useState } from 'react'
import {
  Datagrid,
  FunctionField,
  Link,
  ReferenceManyField,
  Show,
  SimpleShowLayout,
  TextField,
  useGetList,
  useNavigate,
  useNotify,
  usePermissions,
  useRecordContext,
  useRefresh,
} from 'react-admin'
import { messageOf } from '../api/errors.js'
import { EngineField, StateField, TimeField } from '../fields.js'
import { call } from '../providers.js'
import { ENGINE_TYPES, FLOW_TYPES, STATES } from '../states.js'
import { startTask, type TaskRow } from './task-runs.js'

function TaskButtons() {
  const task = useRecordContext<TaskRow>()
  const navigate = useNavigate()
  const notify = useNotify()
  const [busy, setBusy] = useState(false)
  if (!task) return null
  const go = async (work: () => Promise<string | null>) => {
    setBusy(true)
    try {
      const runId = await work()
      if (runId) navigate(`/runs/${encodeURIComponent(runId)}/show`)
      else notify('The run of this task was not found', { type: 'warning' })
    } catch (error) {
      notify(messageOf(error), { type: 'error' })
    } finally {
      setBusy(false)
    }
  }
  return task.is_started ? (
    <Button
      size="small"
      disabled={busy}
      onClick={(e) => {
        e.stopPropagation()
        void go(async () => task.run_id)
      }}
    >
      Open run
    </Button>
  ) : (
    <Button
      size="small"
      variant="contained"
      disabled={busy}
      data-testid={`start-task-${task.id}`}
      onClick={(e) => {
        e.stopPropagation()
        void go(() => startTask(task))
      }}
    >
      Start
    </Button>
  )
}

const choices = (values: readonly string[]) => ['', ...values]

function TaskFilters({
  filter,
  setFilter,
}: {
  filter: Record<string, string>
  setFilter: (f: Record<string, string>) => void
}) {
  const { data: categories } = useGetList('categories', { pagination: { page: 1, perPage: 100 } })
  const select = (key: string, label: string, values: readonly string[]) => (
    <MuiTextField
      select
      size="small"
      label={label}
      value={filter[key] ?? ''}
      fullWidth={false}
      sx={{ width: 170 }}
      onChange={(e) => setFilter({ ...filter, [key]: e.target.value })}
    >
      {choices(values).map((v) => (
        <MenuItem key={v} value={v}>
          {v === '' ? 'any' : v}
        </MenuItem>
      ))}
    </MuiTextField>
  )
  return (
    <Stack direction="row" spacing={1} sx={{ my: 1, flexWrap: 'wrap' }} useFlexGap>
      <MuiTextField
        size="small"
        label="Name"
        fullWidth={false}
        sx={{ width: 200 }}
        value={filter.name ?? ''}
        onChange={(e) => setFilter({ ...filter, name: e.target.value })}
      />
      <MuiTextField
        size="small"
        label="Creator"
        fullWidth={false}
        sx={{ width: 170 }}
        value={filter.creator ?? ''}
        onChange={(e) => setFilter({ ...filter, creator: e.target.value })}
      />
      {select('state', 'State', STATES)}
      {select('engine_type', 'Engine type', ENGINE_TYPES)}
      {select(
        'category',
        'Category',
        (categories ?? []).map((c) => String(c.id)),
      )}
      {select('flow_type', 'Flow type', FLOW_TYPES)}
    </Stack>
  )
}

function ProjectTasks() {
  const project = useRecordContext()
  const [filter, setFilter] = useState<Record<string, string>>({})
  const clean = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== ''))
  if (!project) return null
  return (
    <Box>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Button component={Link} to={`/tasks/create?project_id=${project.id}`} variant="contained">
          Create task
        </Button>
      </Stack>
      <TaskFilters filter={filter} setFilter={setFilter} />
      <ReferenceManyField reference="tasks" target="project_id" filter={clean} perPage={25}>
        <Datagrid
          bulkActionButtons={false}
          rowClick={(_id, _resource, task) =>
            task.run_id ? `/runs/${encodeURIComponent(String(task.run_id))}/show` : false
          }
        >
          <TextField source="id" />
          <TextField source="name" />
          <StateField source="state" label="State" />
          <EngineField source="engine_type" label="Engine type" sortable={false} />
          <TextField source="category" />
          <TextField source="flow_type" label="Flow type" />
          <TextField source="creator" />
          <TimeField source="create_time" label="Created" />
          <TaskButtons />
        </Datagrid>
      </ReferenceManyField>
    </Box>
  )
}

function ProjectMembers() {
  const project = useRecordContext<{ id: number; members?: { id: number; name: string }[] }>()
  const { permissions } = usePermissions()
  const isAdmin = permissions === 'admin'
  const { data: users } = useGetList(
    'users',
    { pagination: { page: 1, perPage: 500 } },
    { enabled: isAdmin },
  )
  const [userId, setUserId] = useState('')
  const [error, setError] = useState<string | null>(null)
  const refresh = useRefresh()
  if (!project) return null
  const members = project.members ?? []
  const act = async (work: () => Promise<unknown>) => {
    setError(null)
    try {
      await work()
      refresh()
    } catch (e) {
      setError(messageOf(e))
    }
  }
  return (
    <Box>
      {members.length === 0 && <p>No members.</p>}
      {members.map((m) => (
        <Stack key={m.id} direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <span>
            {m.name} (#{m.id})
          </span>
          {isAdmin && (
            <Button
              size="small"
              color="error"
              onClick={() =>
                void act(() => call('DELETE', `/api/projects/${project.id}/members/${m.id}`))
              }
            >
              Remove
            </Button>
          )}
        </Stack>
      ))}
      {isAdmin && (
        <Stack direction="row" spacing={1} sx={{ mt: 2, alignItems: 'center' }}>
          <MuiTextField
            select
            size="small"
            label="User"
            value={userId}
            sx={{ minWidth: 200 }}
            onChange={(e) => setUserId(e.target.value)}
          >
            {(users ?? []).map((u) => (
              <MenuItem key={u.id} value={String(u.id)}>
                {u.name}
              </MenuItem>
            ))}
          </MuiTextField>
          <Button
            disabled={userId === ''}
            onClick={() =>
              void act(() =>
                call('POST', `/api/projects/${project.id}/members`, {
                  body: { user_id: Number(userId) },
                }),
              )
            }
          >
            Add member
          </Button>
        </Stack>
      )}
      {error && (
        <Alert severity="error" sx={{ mt: 1 }}>
          {error}
        </Alert>
      )}
    </Box>
  )
}

/** A project: its tasks (with the task API's filters), members and a link to its operations. */
export function ProjectShow() {
  const [tab, setTab] = useState(0)
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="name" />
        <TextField source="description" />
        <TextField source="bk_biz_id" label="Business id" />
        <FunctionField
          label="Operations"
          render={(r) => (
            <Link
              to={`/operations?filter=${encodeURIComponent(JSON.stringify({ project_id: r.id }))}`}
            >
              operation log
            </Link>
          )}
        />
      </SimpleShowLayout>
      <Box sx={{ px: 2, pb: 2 }}>
        <Tabs value={tab} onChange={(_, t) => setTab(t)}>
          <Tab label="Tasks" />
          <Tab label="Members" />
        </Tabs>
        {tab === 0 ? <ProjectTasks /> : <ProjectMembers />}
      </Box>
    </Show>
  )
}
