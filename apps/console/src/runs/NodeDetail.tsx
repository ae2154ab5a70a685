import CloseIcon from '@mui/icons-material/Close'
import {
  Alert,
  Box,
  Divider,
  Drawer,
  IconButton,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material'
import { type ReactNode, useEffect, useMemo, useState } from 'react'
import { messageOf } from '../api/errors.js'
import { JsonView } from '../common/JsonEditor.js'
import { formatTime, StateChip } from '../fields.js'
import type { NodeState, TreeShape } from '../graph/layout.js'
import { retryInput } from '../plugins/components.js'
import { call } from '../providers.js'
import { type ActionInput, AdminActionButton } from './AdminActionButton.js'
import { type AdminAction, nodeActions, retryInputs } from './admin-actions.js'
import { findNode, nodeLabel, outgoingFlows } from './tree-lookup.js'

/** A node of a run in full (`GET /api/runs/{id}/nodes/{node_id}`). */
interface NodeDetailRecord extends NodeState {
  id: string
  type: string | null
  component: { code: string; version: string } | null
  inputs: unknown
  outputs: unknown
  ex_data: unknown
  histories: {
    loop: number
    retry: number
    skip: boolean
    started_time: number | null
    archived_time: number | null
    inputs: unknown
    outputs: unknown
  }[]
  schedule: {
    id: string
    type: string
    times: number
    finished: boolean
    expired: boolean
    due_at: number | null
  } | null
  callbacks: { id: string; consumed: boolean; data: unknown }[]
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Box sx={{ mt: 2 }}>
      <Typography variant="subtitle2" gutterBottom>
        {title}
      </Typography>
      {children}
    </Box>
  )
}

function duration(start: number | null, end: number | null): string {
  if (start === null) return ''
  const ms = (end ?? Date.now()) - start
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** The drawer of a clicked node: its data, histories, schedule, callbacks and actions. */
export function NodeDetail({
  runId,
  engineType,
  tree,
  nodeId,
  state,
  onClose,
}: {
  runId: string
  engineType: string
  tree: TreeShape
  nodeId: string
  state: NodeState | undefined
  onClose: () => void
}) {
  const [detail, setDetail] = useState<NodeDetailRecord | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [input, setInput] = useState<Partial<Record<AdminAction, ActionInput>>>({})
  const found = useMemo(() => findNode(tree, nodeId), [tree, nodeId])
  const type = found?.node.type ?? detail?.type ?? ''
  const label = nodeLabel(found?.node, nodeId)
  // A new state or version of the node means new data to show.
  const stateKey = state ? `${state.state}:${state.version}:${state.loop}` : ''

  useEffect(() => {
    let cancelled = false
    if (stateKey === '') {
      setDetail(null)
      setError(null)
      return
    }
    call<NodeDetailRecord>(
      'GET',
      `/api/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}`,
    )
      .then((d) => {
        if (!cancelled) {
          setDetail(d)
          setError(null)
        }
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(messageOf(e))
      })
    return () => {
      cancelled = true
    }
  }, [runId, nodeId, stateKey])

  useEffect(() => {
    let cancelled = false
    const code = detail?.component?.code ?? found?.node.component?.code
    const next: Partial<Record<AdminAction, ActionInput>> = {
      node_callback: { kind: 'data' },
    }
    if (found && type === 'ExclusiveGateway') {
      next.node_skip_exg = { kind: 'flow', flows: outgoingFlows(found.tree, nodeId) }
    }
    if (found && type === 'ConditionalParallelGateway') {
      next.node_skip_cpg = {
        kind: 'flows',
        flows: outgoingFlows(found.tree, nodeId),
        convergeId: (found.node.converge_gateway_id as string | undefined) ?? null,
      }
    }
    next.node_retry = { kind: 'inputs', schema: null, initial: retryInputs(detail?.inputs) }
    setInput(next)
    if (code) {
      retryInput(detail?.inputs, { code, version: detail?.component?.version })
        .then((retry) => {
          if (!cancelled) setInput((current) => ({ ...current, node_retry: retry }))
        })
        .catch(() => {})
    }
    return () => {
      cancelled = true
    }
  }, [detail, found, type, nodeId])

  // The detail of another state of the node says nothing of its schedule now.
  const current = detail && detail.state === state?.state && detail.version === state?.version
  const actions = nodeActions(type, state?.state, current ? detail.schedule : undefined)
  return (
    <Drawer anchor="right" open onClose={onClose} variant="persistent">
      <Box sx={{ width: 460, p: 2, pt: 9 }} data-testid="node-detail" data-node-id={nodeId}>
        <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between' }}>
          <Typography variant="h6" noWrap title={label}>
            {label}
          </Typography>
          <IconButton onClick={onClose} aria-label="close">
            <CloseIcon />
          </IconButton>
        </Stack>
        <Typography variant="body2" color="text.secondary">
          {type} · {nodeId}
          {detail?.component ? ` · ${detail.component.code}@${detail.component.version}` : ''}
        </Typography>
        <Stack direction="row" spacing={1} sx={{ mt: 1, alignItems: 'center' }}>
          <StateChip state={state?.state} />
          {state && (
            <Typography variant="body2">
              loop {state.loop ?? 1} · retry {state.retry ?? 0}
              {state.skip ? ' · skipped' : ''}
              {state.error_ignored ? ' · error ignored' : ''}
            </Typography>
          )}
        </Stack>
        {actions.length > 0 && (
          <Stack direction="row" spacing={1} sx={{ mt: 2, flexWrap: 'wrap' }} useFlexGap>
            {actions.map((action) => (
              <AdminActionButton
                key={action}
                engineType={engineType}
                action={action}
                instanceId={nodeId}
                target={`${label} (${nodeId})`}
                {...(input[action] ? { input: input[action] } : {})}
              />
            ))}
          </Stack>
        )}
        {error && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
        {state === undefined && (
          <Alert severity="info" sx={{ mt: 2 }}>
            Not reached yet.
          </Alert>
        )}
        {state && (
          <Section title="Timing">
            <Typography variant="body2">
              started {formatTime(state.started_time) || '—'} · archived{' '}
              {formatTime(state.archived_time) || '—'}
              {state.started_time
                ? ` · ${duration(state.started_time, state.archived_time ?? null)}`
                : ''}
            </Typography>
          </Section>
        )}
        {detail && (
          <>
            <Section title="Inputs">
              <JsonView value={detail.inputs} />
            </Section>
            <Section title="Outputs">
              <JsonView value={detail.outputs} />
            </Section>
            <Section title="ex_data">
              <JsonView value={detail.ex_data} />
            </Section>
            <Section title="Schedule">
              {detail.schedule ? (
                <Typography variant="body2" data-testid="node-schedule">
                  {detail.schedule.type} · {detail.schedule.times} times ·{' '}
                  {detail.schedule.finished ? 'finished' : 'waiting'}
                  {detail.schedule.expired ? ' · expired' : ''}
                  {detail.schedule.due_at ? ` · due ${formatTime(detail.schedule.due_at)}` : ''}
                </Typography>
              ) : (
                <Typography variant="body2">none</Typography>
              )}
            </Section>
            <Section title="Callbacks">
              {detail.callbacks.length === 0 ? (
                <Typography variant="body2">none</Typography>
              ) : (
                detail.callbacks.map((cb) => (
                  <Box key={cb.id} sx={{ mb: 1 }}>
                    <Typography variant="body2">
                      {cb.id} · {cb.consumed ? 'consumed' : 'pending'}
                    </Typography>
                    <JsonView value={cb.data} />
                  </Box>
                ))
              )}
            </Section>
            <Section title={`Histories (${detail.histories.length})`}>
              {detail.histories.length > 0 && (
                <Table size="small">
                  <TableHead>
                    <TableRow>
                      <TableCell>loop</TableCell>
                      <TableCell>retry</TableCell>
                      <TableCell>skip</TableCell>
                      <TableCell>started</TableCell>
                      <TableCell>inputs → outputs</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {detail.histories.map((h) => (
                      <TableRow key={`${h.loop}-${h.retry}-${h.started_time}`}>
                        <TableCell>{h.loop}</TableCell>
                        <TableCell>{h.retry}</TableCell>
                        <TableCell>{h.skip ? 'yes' : ''}</TableCell>
                        <TableCell>{formatTime(h.started_time)}</TableCell>
                        <TableCell>
                          <JsonView value={{ inputs: h.inputs, outputs: h.outputs }} />
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              )}
            </Section>
          </>
        )}
        <Divider sx={{ mt: 2 }} />
      </Box>
    </Drawer>
  )
}
