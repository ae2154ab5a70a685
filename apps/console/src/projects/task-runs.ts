import { call } from '../providers.js'

/** A task as the project's task list shows it. */
export interface TaskRow {
  id: number
  name: string
  project_id: number
  state: string
  engine_type: string
  is_started: boolean
  /** The run's id once the task has started, else null. */
  run_id: string | null
}

/** Starts a task; answers its run id. */
export async function startTask(task: TaskRow): Promise<string> {
  const answer = await call<{ id: number; run_id: string; started: true }>(
    'POST',
    `/api/projects/${task.project_id}/tasks/${task.id}/start`,
    { body: {} },
  )
  return answer.run_id
}
