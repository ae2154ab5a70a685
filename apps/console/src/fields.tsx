import { Chip } from '@mui/material'
import { FunctionField, useRecordContext } from 'react-admin'
import { stateColour } from './states.js'

/** A state as a coloured chip, the graph's colour. */
export function StateChip({ state }: { state: string | null | undefined }) {
  return (
    <Chip
      size="small"
      label={state ?? 'not started'}
      data-state={state ?? ''}
      sx={{ backgroundColor: stateColour(state), border: '1px solid #90a4ae' }}
    />
  )
}

/** The record's `state` field as a chip. */
export function StateField({ source = 'state' }: { source?: string; label?: string }) {
  const record = useRecordContext()
  return <StateChip state={record?.[source] as string | undefined} />
}

/** An epoch-milliseconds (or ISO) time as the browser's local date and time. */
export function formatTime(value: unknown): string {
  if (value === null || value === undefined || value === '') return ''
  const date = new Date(typeof value === 'number' ? value : String(value))
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString()
}

/** A time field that reads epoch milliseconds as well as ISO strings. */
export function TimeField({
  source,
  label,
  sortable = true,
}: {
  source: string
  label?: string
  sortable?: boolean
}) {
  return (
    <FunctionField
      source={source}
      label={label}
      sortable={sortable}
      render={(r) => formatTime(r?.[source])}
    />
  )
}

/** The engine type of a run or task, always visible. */
export function EngineChip({ engineType }: { engineType: string | null | undefined }) {
  return (
    <Chip
      size="small"
      variant="outlined"
      color={engineType === 'pipeline_engine' ? 'secondary' : 'primary'}
      label={engineType ?? '?'}
    />
  )
}

/** The record's `engine_type` field as a chip. */
export function EngineField({ source }: { source?: string; label?: string; sortable?: boolean }) {
  const record = useRecordContext()
  return <EngineChip engineType={record?.[source ?? 'engine_type'] as string | undefined} />
}
