import { Checkbox, FormControlLabel, MenuItem, Stack, TextField, Typography } from '@mui/material'
import { JsonEditor } from './JsonEditor.js'

/** The JSON Schema subset a component's inputs and outputs are described with. */
export interface JsonSchema {
  type?: string | string[]
  title?: string
  description?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  enum?: unknown[]
  default?: unknown
  items?: JsonSchema
  [extra: string]: unknown
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null')
  return schema.type
}

/** A form for an object schema: one field per property, typed by the property's schema. */
export function SchemaForm({
  schema,
  value,
  onChange,
  readOnly = false,
}: {
  schema: JsonSchema | null | undefined
  value: Record<string, unknown>
  onChange?: (value: Record<string, unknown>) => void
  readOnly?: boolean
}) {
  const properties = Object.entries(schema?.properties ?? {})
  if (properties.length === 0) {
    return <Typography variant="body2">This schema declares no fields.</Typography>
  }
  const required = new Set(schema?.required ?? [])
  const set = (key: string, next: unknown) => onChange?.({ ...value, [key]: next })
  return (
    <Stack spacing={1.5} sx={{ mt: 1 }}>
      {properties.map(([key, prop]) => {
        const label = `${prop.title ?? key}${required.has(key) ? ' *' : ''}`
        const help = prop.description ?? typeOf(prop) ?? ''
        const current = value[key]
        const type = typeOf(prop)
        if (prop.enum) {
          return (
            <TextField
              key={key}
              name={key}
              select
              label={label}
              helperText={help}
              value={current === undefined ? '' : JSON.stringify(current)}
              disabled={readOnly}
              onChange={(e) => set(key, JSON.parse(e.target.value))}
            >
              {prop.enum.map((option) => (
                <MenuItem key={JSON.stringify(option)} value={JSON.stringify(option)}>
                  {String(option)}
                </MenuItem>
              ))}
            </TextField>
          )
        }
        if (type === 'boolean') {
          return (
            <FormControlLabel
              key={key}
              label={label}
              disabled={readOnly}
              control={
                <Checkbox
                  name={key}
                  checked={current === true}
                  onChange={(e) => set(key, e.target.checked)}
                />
              }
            />
          )
        }
        if (type === 'integer' || type === 'number' || type === 'string') {
          return (
            <TextField
              key={key}
              name={key}
              label={label}
              helperText={help}
              type={type === 'string' ? 'text' : 'number'}
              value={current === undefined || current === null ? '' : String(current)}
              disabled={readOnly}
              onChange={(e) => {
                const text = e.target.value
                if (type === 'string') set(key, text)
                else set(key, text === '' ? undefined : Number(text))
              }}
            />
          )
        }
        return (
          <JsonEditor
            key={key}
            name={key}
            label={`${label} (JSON)`}
            rows={3}
            value={current}
            onChange={(next, valid) => {
              if (valid) set(key, next)
            }}
          />
        )
      })}
    </Stack>
  )
}
