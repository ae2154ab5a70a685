import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  ListItemButton,
  ListItemText,
  MenuItem,
  List as MuiList,
  Stack,
  TextField,
  Typography,
} from '@mui/material'
import { useMemo, useState } from 'react'
import {
  Title,
  useDataProvider,
  useGetList,
  useGetOne,
  useLocation,
  useNavigate,
} from 'react-admin'
import { messageOf } from '../api/errors.js'
import { JsonEditor } from '../common/JsonEditor.js'
import { type Layout, layoutTree, type TreeShape } from '../graph/layout.js'
import { RunGraph } from '../graph/RunGraph.js'
import { call } from '../providers.js'
import { ENGINE_TYPES, FLOW_TYPES } from '../states.js'
import { problemsByNode, type TreeProblem } from './problems.js'
import { sequenceTree } from './sample-tree.js'

/** A tree being written has no states. */
const NOT_STARTED = {}

function tryLayout(tree: unknown): Layout | null {
  try {
    const t = tree as TreeShape
    if (!t?.start_event?.id || !t.end_event?.id) return null
    return layoutTree(t)
  } catch {
    return null
  }
}

/**
 * Creates a task of a project from a platform-format tree: a JSON editor, the server's
 * validation with each problem drawn at its node of the tree's graph, then the task.
 */
export function TaskCreate() {
  const projectId = new URLSearchParams(useLocation().search).get('project_id') ?? ''
  const navigate = useNavigate()
  const dataProvider = useDataProvider()
  const { data: project } = useGetOne('projects', { id: projectId })
  const { data: categories } = useGetList('categories', { pagination: { page: 1, perPage: 100 } })
  const [name, setName] = useState('')
  const [category, setCategory] = useState('')
  const [flowType, setFlowType] = useState('common')
  const [engineType, setEngineType] = useState<string>('bamboo_engine')
  const [tree, setTree] = useState<unknown>(() =>
    sequenceTree([
      ['debug_node', { greeting: 'hello' }],
      ['fail_ctrl_node', { bit: 1 }],
    ]),
  )
  const [treeValid, setTreeValid] = useState(true)
  const [problems, setProblems] = useState<TreeProblem[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [selected, setSelected] = useState<string | null>(null)
  const layout = useMemo(() => tryLayout(tree), [tree])
  const atNodes = useMemo(() => problemsByNode(problems ?? []), [problems])

  const validate = async (): Promise<boolean> => {
    setError(null)
    const answer = await call<{ valid: boolean; problems: TreeProblem[] }>(
      'POST',
      '/api/trees/validate',
      { body: { pipeline_tree: tree, format: 'platform' } },
    )
    setProblems(answer.problems)
    return answer.valid
  }
  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    try {
      await work()
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  const save = () =>
    run(async () => {
      if (!(await validate())) return
      await dataProvider.create('tasks', {
        data: {
          project_id: Number(projectId),
          name,
          ...(category ? { category } : {}),
          flow_type: flowType,
          engine_type: engineType,
          pipeline_tree: tree,
        },
      })
      navigate(`/projects/${projectId}/show`)
    })

  return (
    <Box sx={{ mt: 1 }}>
      <Title title={`New task of ${project?.name ?? `project ${projectId}`}`} />
      <Stack direction={{ xs: 'column', lg: 'row' }} spacing={1}>
        <Card sx={{ flex: 1, minWidth: 420 }}>
          <CardContent>
            <Stack spacing={2}>
              <TextField
                label="Task name"
                name="task-name"
                required
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
              <Stack direction="row" spacing={1}>
                <TextField
                  select
                  label="Category"
                  value={category}
                  sx={{ minWidth: 160 }}
                  onChange={(e) => setCategory(e.target.value)}
                >
                  <MenuItem value="">default</MenuItem>
                  {(categories ?? []).map((c) => (
                    <MenuItem key={c.id} value={String(c.id)}>
                      {c.name ?? c.id}
                    </MenuItem>
                  ))}
                </TextField>
                <TextField
                  select
                  label="Flow type"
                  value={flowType}
                  onChange={(e) => setFlowType(e.target.value)}
                >
                  {FLOW_TYPES.map((t) => (
                    <MenuItem key={t} value={t}>
                      {t}
                    </MenuItem>
                  ))}
                </TextField>
                <TextField
                  select
                  label="Engine type"
                  name="engine-type"
                  value={engineType}
                  onChange={(e) => setEngineType(e.target.value)}
                >
                  {ENGINE_TYPES.map((t) => (
                    <MenuItem key={t} value={t}>
                      {t}
                    </MenuItem>
                  ))}
                </TextField>
              </Stack>
              <JsonEditor
                label="Pipeline tree (platform format)"
                name="pipeline-tree"
                rows={12}
                maxRows={28}
                value={tree}
                onChange={(next, ok) => {
                  setTreeValid(ok)
                  if (ok) {
                    setTree(next)
                    setProblems(null)
                  }
                }}
              />
              <Stack direction="row" spacing={1}>
                <Button
                  variant="outlined"
                  disabled={busy || !treeValid}
                  onClick={() =>
                    void run(async () => {
                      await validate()
                    })
                  }
                >
                  Validate
                </Button>
                <Button
                  variant="contained"
                  disabled={busy || !treeValid || name.trim() === ''}
                  onClick={() => void save()}
                >
                  Create task
                </Button>
              </Stack>
              {error && <Alert severity="error">{error}</Alert>}
              {problems && problems.length === 0 && (
                <Alert severity="success" data-testid="tree-valid">
                  The tree is valid.
                </Alert>
              )}
              {problems && problems.length > 0 && (
                <Alert severity="error" data-testid="tree-problems">
                  <Typography variant="subtitle2">
                    {problems.length} problem{problems.length === 1 ? '' : 's'}
                  </Typography>
                  <MuiList dense disablePadding>
                    {problems.map((p) => (
                      <ListItemButton
                        key={`${p.path}-${p.message}`}
                        onClick={() => setSelected(p.node_id)}
                        disabled={!p.node_id}
                      >
                        <ListItemText
                          primary={p.message}
                          secondary={`${p.node_id ? `node ${p.node_id} · ` : ''}${p.path}`}
                        />
                      </ListItemButton>
                    ))}
                  </MuiList>
                </Alert>
              )}
            </Stack>
          </CardContent>
        </Card>
        <Card sx={{ flex: 1, height: 640, position: 'sticky', top: 72 }}>
          {layout ? (
            <RunGraph
              key={layout.nodes.map((n) => n.id).join(',')}
              layout={layout}
              states={NOT_STARTED}
              selected={selected}
              onSelect={setSelected}
              problems={atNodes}
            />
          ) : (
            <Alert severity="info">The tree has no start and end event to draw yet.</Alert>
          )}
        </Card>
      </Stack>
    </Box>
  )
}
