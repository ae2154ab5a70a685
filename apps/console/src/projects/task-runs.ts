import { call } from '../providers.js'

/** A task as the project's task list shows it. */
export interface TaskRow {
  id: number
  name: string
  project_id: number
  state: string
  engine_type: string
  is_started: boolean
  /** The run's id, when the server gives it with the task. */
  run_id?: string
}

/** The run of a started task: its pipeline id, given or found among the project's runs. */
export async function findTaskRun(task: TaskRow): Promise<string | null> {
  if (task.run_id) return task.run_id
  const runs = await call<{ data: { id: string; task_id: number | null }[] }>('GET', '/api/runs', {
    query: { project_id: task.project_id, task_id: task.id, per_page: 200 },
  })
  return runs.data.find((r) => r.task_id === task.id)?.id ?? null
}

/** Starts a task; answers its run id once the server knows it. */
export async function startTask(task: TaskRow): Promise<string | null> {
  const answer = await call<Record<string, unknown> | undefined>(
    'POST',
    `/api/projects/${task.project_id}/tasks/${task.id}/start`,
    { body: {} },
  )
  const given = answer?.pipeline_id ?? answer?.run_id
  if (typeof given === 'string') return given
  return findTaskRun(task)
}
