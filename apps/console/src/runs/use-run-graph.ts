import { useEffect, useMemo, useState } from 'react'
import { messageOf } from '../api/errors.js'
import { tokenStore } from '../api/token.js'
import { openEventStream } from '../graph/event-stream.js'
import {
  applyNodeState,
  type Layout,
  layoutTree,
  type NodeState,
  type TreeShape,
} from '../graph/layout.js'
import { call } from '../providers.js'

/** A run as the server describes it. */
export interface Run {
  id: string
  engine_type: string
  state: string
  name: string
  project_id: number | null
  project_name: string | null
  task_id: number | null
  task_name: string | null
  creator: string | null
  created_at: number
  started_time: number | null
  archived_time: number | null
}

/** Whether the live stream is connected. */
export type LiveStatus = 'connecting' | 'open' | 'closed'

/**
 * A run's graph kept live: the tree and states from `GET /api/runs/{id}/graph`, then the
 * snapshot, node and run events of `GET /api/runs/{id}/events` (reconnecting when it drops).
 */
export function useRunGraph(runId: string) {
  const [tree, setTree] = useState<TreeShape | null>(null)
  const [run, setRun] = useState<Run | null>(null)
  const [states, setStates] = useState<Record<string, NodeState>>({})
  const [error, setError] = useState<string | null>(null)
  const [live, setLive] = useState<LiveStatus>('connecting')

  useEffect(() => {
    let cancelled = false
    // The stream's snapshot is newer than the graph's states when it arrives first.
    let snapshotSeen = false
    setError(null)
    call<{ run: Run; tree: TreeShape; states: Record<string, NodeState> }>(
      'GET',
      `/api/runs/${encodeURIComponent(runId)}/graph`,
    )
      .then((graph) => {
        if (cancelled) return
        setTree(graph.tree)
        if (!snapshotSeen) {
          setRun(graph.run)
          setStates(graph.states)
        }
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(messageOf(e))
      })
    const close = openEventStream(
      { url: `/api/runs/${encodeURIComponent(runId)}/events`, token: () => tokenStore.get() },
      {
        onEvent(event) {
          let data: unknown
          try {
            data = JSON.parse(event.data)
          } catch {
            return
          }
          if (event.event === 'snapshot') {
            const snapshot = data as { run: Run; states: Record<string, NodeState> }
            snapshotSeen = true
            setRun(snapshot.run)
            setStates(snapshot.states)
          } else if (event.event === 'node') {
            setStates((current) => applyNodeState(current, data as NodeState))
          } else if (event.event === 'run') {
            setRun(data as Run)
          }
        },
        onStatus: (status) => setLive(status),
      },
    )
    return () => {
      cancelled = true
      close()
    }
  }, [runId])

  const layout: Layout | null = useMemo(() => (tree ? layoutTree(tree) : null), [tree])
  return { tree, run, states, layout, error, live }
}
