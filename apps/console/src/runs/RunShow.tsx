import {
  Alert,
  Box,
  Card,
  CardContent,
  Chip,
  LinearProgress,
  Stack,
  Typography,
} from '@mui/material'
import { useState } from 'react'
import { Link, Title, useGetRecordId } from 'react-admin'
import { EngineChip, formatTime, StateChip } from '../fields.js'
import { RunGraph } from '../graph/RunGraph.js'
import { AdminActionButton, AdminActionHost } from './AdminActionButton.js'
import { runActions } from './admin-actions.js'
import { NodeDetail } from './NodeDetail.js'
import { useRunGraph } from './use-run-graph.js'

const LIVE_LABELS = { open: 'live', connecting: 'reconnecting…', closed: 'not live' } as const

/** A run: its live graph, its admin actions, and the detail of a clicked node. */
export function RunShow() {
  const runId = String(useGetRecordId())
  // A page per run: moving to another run starts from a fresh graph and no selected node.
  return <RunPage key={runId} runId={runId} />
}

function RunPage({ runId }: { runId: string }) {
  const { tree, run, states, layout, error, live } = useRunGraph(runId)
  const [selected, setSelected] = useState<string | null>(null)
  if (error) return <Alert severity="error">{error}</Alert>
  if (!run || !tree || !layout) return <LinearProgress />
  return (
    <AdminActionHost>
      <Box sx={{ mt: 1, mr: selected ? '476px' : 0 }}>
        <Title title={`Run ${run.name}`} />
        <Card>
          <CardContent>
            <Stack
              direction="row"
              spacing={2}
              sx={{ alignItems: 'center', flexWrap: 'wrap' }}
              useFlexGap
            >
              <Typography variant="h6" data-testid="run-name">
                {run.name}
              </Typography>
              <span data-testid="run-state" data-state={run.state}>
                <StateChip state={run.state} />
              </span>
              <EngineChip engineType={run.engine_type} />
              <Chip
                size="small"
                data-testid="live-status"
                data-live={live}
                color={live === 'open' ? 'success' : 'default'}
                label={LIVE_LABELS[live]}
              />
              <Box sx={{ flex: 1 }} />
              {runActions(run.state).map((action) => (
                <AdminActionButton
                  key={action}
                  engineType={run.engine_type}
                  action={action}
                  instanceId={run.id}
                  target={`${run.name} (${run.id})`}
                />
              ))}
            </Stack>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
              {run.project_name ? (
                <>
                  project <Link to={`/projects/${run.project_id}/show`}>{run.project_name}</Link> ·
                  task {run.task_name ?? run.task_id} ·{' '}
                </>
              ) : null}
              id {run.id} · creator {run.creator ?? '—'} · created {formatTime(run.created_at)} ·
              started {formatTime(run.started_time) || '—'} · archived{' '}
              {formatTime(run.archived_time) || '—'}
            </Typography>
          </CardContent>
        </Card>
        <Card sx={{ mt: 1, height: 'calc(100vh - 220px)', minHeight: 420 }}>
          <RunGraph layout={layout} states={states} selected={selected} onSelect={setSelected} />
        </Card>
        {selected && (
          <NodeDetail
            runId={run.id}
            engineType={run.engine_type}
            tree={tree}
            nodeId={selected}
            state={states[selected]}
            onClose={() => setSelected(null)}
          />
        )}
      </Box>
    </AdminActionHost>
  )
}
