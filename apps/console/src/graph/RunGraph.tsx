import {
  Background,
  type Edge,
  Handle,
  MarkerType,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
} from '@xyflow/react'
import '@xyflow/react/dist/style.css'
import { type CSSProperties, type ReactNode, useMemo } from 'react'
import { stateColour } from '../states.js'
import {
  counters,
  gatewaySymbol,
  type Layout,
  type NodeState,
  type PaintedNode,
  paintLayout,
} from './layout.js'

type DrawnNode = Node<{ node: PaintedNode; selected: boolean; problems: string[] }>

const border = (selected: boolean, problems: string[] = []) =>
  problems.length > 0 ? '3px dashed #c62828' : selected ? '3px solid #1565c0' : '1px solid #546e7a'

/** The validation problems of a node, under it. */
function Problems({ problems }: { problems: string[] }) {
  if (problems.length === 0) return null
  return (
    <div
      data-testid="node-problems"
      style={{
        position: 'absolute',
        top: '100%',
        left: 0,
        marginTop: 4,
        width: 220,
        background: '#ffebee',
        color: '#b71c1c',
        border: '1px solid #e57373',
        borderRadius: 4,
        fontSize: 11,
        padding: '2px 6px',
        zIndex: 10,
      }}
    >
      {problems.map((p) => (
        <div key={p}>{p}</div>
      ))}
    </div>
  )
}

function Handles() {
  return (
    <>
      <Handle type="target" position={Position.Left} style={{ opacity: 0 }} />
      <Handle type="source" position={Position.Right} style={{ opacity: 0 }} />
    </>
  )
}

/** A node's counters (loop, retry, skipped, error ignored) after its state, or nothing. */
function counterSuffix(node: PaintedNode): string {
  const extra = counters(node)
  return extra.length > 0 ? ` · ${extra.join(' · ')}` : ''
}

/**
 * The outer box every node is drawn in: its test id, state and pointer, its handles and its
 * problems, then what the node draws inside.
 */
function NodeFrame({
  node,
  problems,
  title,
  style,
  children,
}: {
  node: PaintedNode
  problems: string[]
  title?: string
  style: CSSProperties
  children?: ReactNode
}) {
  return (
    <div
      data-testid={`node-${node.id}`}
      data-state={node.state ?? ''}
      title={title}
      style={{ ...style, cursor: 'pointer' }}
    >
      <Handles />
      <Problems problems={problems} />
      {children}
    </div>
  )
}

function ActivityNode({ data }: NodeProps<DrawnNode>) {
  const { node, selected, problems } = data
  return (
    <NodeFrame
      node={node}
      problems={problems}
      title={`${node.label} (${node.type}) ${node.state ?? 'not reached'}`}
      style={{
        width: node.width,
        height: node.height,
        background: stateColour(node.state),
        border: border(selected, problems),
        borderRadius: 8,
        fontSize: 12,
        padding: '4px 8px',
        boxSizing: 'border-box',
        position: 'relative',
      }}
    >
      <div
        style={{
          fontWeight: 600,
          whiteSpace: 'nowrap',
          textOverflow: 'ellipsis',
          overflow: 'hidden',
        }}
      >
        {node.label}
      </div>
      <div style={{ color: '#37474f' }}>
        {node.state ?? 'not reached'}
        {counterSuffix(node)}
      </div>
    </NodeFrame>
  )
}

function GatewayNode({ data }: NodeProps<DrawnNode>) {
  const { node, selected, problems } = data
  return (
    <NodeFrame
      node={node}
      problems={problems}
      title={`${node.type} ${node.state ?? 'not reached'}`}
      style={{ width: node.width, height: node.height, position: 'relative' }}
    >
      <div
        style={{
          position: 'absolute',
          inset: 7,
          transform: 'rotate(45deg)',
          background: stateColour(node.state),
          border: border(selected, problems),
        }}
      />
      <div
        style={{
          position: 'absolute',
          inset: 0,
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'center',
          fontSize: 18,
          fontWeight: 700,
        }}
      >
        {gatewaySymbol(node.type)}
      </div>
    </NodeFrame>
  )
}

function EventNode({ data }: NodeProps<DrawnNode>) {
  const { node, selected, problems } = data
  return (
    <NodeFrame
      node={node}
      problems={problems}
      title={`${node.kind} ${node.state ?? 'not reached'}`}
      style={{
        width: node.width,
        height: node.height,
        borderRadius: '50%',
        background: stateColour(node.state),
        border:
          problems.length > 0 || node.kind !== 'end'
            ? border(selected, problems)
            : '3px solid #37474f',
        boxSizing: 'border-box',
      }}
    />
  )
}

function SubprocessNode({ data }: NodeProps<DrawnNode>) {
  const { node, selected, problems } = data
  return (
    <NodeFrame
      node={node}
      problems={problems}
      style={{
        width: node.width,
        height: node.height,
        border: border(selected, problems),
        borderRadius: 10,
        background: `${stateColour(node.state)}55`,
        boxSizing: 'border-box',
        fontSize: 12,
        padding: '6px 10px',
      }}
    >
      <strong>{node.label}</strong> · subprocess · {node.state ?? 'not reached'}
      {counterSuffix(node)}
    </NodeFrame>
  )
}

/** No validation problems: one object, so the memoised nodes keep their identity. */
const NO_PROBLEMS: Record<string, string[]> = {}

const NODE_TYPES = {
  activity: ActivityNode,
  gateway: GatewayNode,
  start: EventNode,
  end: EventNode,
  subprocess: SubprocessNode,
}

/** The run's tree as a graph, each node coloured by its state; a click selects a node. */
export function RunGraph({
  layout,
  states,
  selected,
  onSelect,
  problems = NO_PROBLEMS,
}: {
  layout: Layout
  states: Record<string, NodeState>
  selected: string | null
  onSelect: (nodeId: string) => void
  /** Validation problems by node id, drawn at their nodes. */
  problems?: Record<string, string[]>
}) {
  const painted = useMemo(() => paintLayout(layout, states), [layout, states])
  const nodes: DrawnNode[] = useMemo(
    () =>
      painted.map((node) => ({
        id: node.id,
        type: node.kind,
        position: { x: node.x, y: node.y },
        data: { node, selected: node.id === selected, problems: problems[node.id] ?? [] },
        draggable: false,
        // Sizes come from the layout: every new node object is drawn at once, never hidden
        // while the flow waits to measure it again.
        width: node.width,
        height: node.height,
        measured: { width: node.width, height: node.height },
        ...(node.parentId ? { parentId: node.parentId, extent: 'parent' as const } : {}),
        ...(node.kind === 'subprocess'
          ? { style: { width: node.width, height: node.height } }
          : {}),
      })),
    [painted, selected, problems],
  )
  const edges: Edge[] = useMemo(
    () =>
      layout.edges.map((edge) => {
        const reached = states[edge.target] !== undefined && states[edge.source] !== undefined
        const wrong = problems[edge.id] ?? []
        const label = wrong.length > 0 ? wrong.join(' · ') : edge.label
        return {
          id: edge.id,
          source: edge.source,
          target: edge.target,
          ...(label ? { label } : {}),
          ...(wrong.length > 0 ? { labelStyle: { fill: '#b71c1c' } } : {}),
          markerEnd: { type: MarkerType.ArrowClosed },
          animated: states[edge.source]?.state === 'RUNNING',
          style: {
            stroke: wrong.length > 0 ? '#c62828' : reached ? '#2e7d32' : '#90a4ae',
            strokeWidth: reached || wrong.length > 0 ? 2 : 1,
          },
          zIndex: 1,
        }
      }),
    [layout, states, problems],
  )
  return (
    <div style={{ width: '100%', height: '100%' }} data-testid="run-graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodeClick={(_, node) => onSelect(node.id)}
        nodesConnectable={false}
        nodesDraggable={false}
        fitView
        fitViewOptions={{ padding: 0.08, maxZoom: 1.5 }}
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
      </ReactFlow>
    </div>
  )
}
