import { TextField } from '@mui/material'
import { useEffect, useRef, useState } from 'react'
import { messageOf } from '../api/errors.js'

/** Parses JSON text: the value, or the parse error's message. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    return { ok: false, error: messageOf(error) }
  }
}

/** A JSON text field: reports each valid value, and shows the parse error under the text. */
export function JsonEditor({
  label,
  value,
  onChange,
  rows = 8,
  maxRows,
  name,
}: {
  label: string
  value: unknown
  onChange: (value: unknown, valid: boolean) => void
  rows?: number
  /** Past this many lines the text scrolls. */
  maxRows?: number
  name?: string
}) {
  const [text, setText] = useState(() =>
    value === undefined ? '' : JSON.stringify(value, null, 2),
  )
  const [error, setError] = useState<string | null>(null)
  // The value this editor reported last: only a different value from outside rewrites the text.
  const reported = useRef(JSON.stringify(value))
  useEffect(() => {
    const next = JSON.stringify(value)
    if (next !== reported.current) {
      reported.current = next
      setText(value === undefined ? '' : JSON.stringify(value, null, 2))
      setError(null)
    }
  }, [value])
  return (
    <TextField
      label={label}
      name={name}
      multiline
      minRows={rows}
      {...(maxRows === undefined ? {} : { maxRows })}
      fullWidth
      value={text}
      error={error !== null}
      helperText={error ?? ' '}
      slotProps={{
        htmlInput: { spellCheck: false, style: { fontFamily: 'monospace', fontSize: 13 } },
      }}
      onChange={(event) => {
        const next = event.target.value
        setText(next)
        const parsed = parseJson(next)
        setError(parsed.ok ? null : parsed.error)
        if (parsed.ok) reported.current = JSON.stringify(parsed.value)
        onChange(parsed.ok ? parsed.value : undefined, parsed.ok)
      }}
    />
  )
}

/** A value shown as indented JSON. */
export function JsonView({ value }: { value: unknown }) {
  return (
    <pre
      style={{
        margin: 0,
        fontSize: 12,
        background: '#f5f5f5',
        padding: 8,
        borderRadius: 4,
        maxHeight: 320,
        overflow: 'auto',
        whiteSpace: 'pre-wrap',
        wordBreak: 'break-all',
      }}
    >
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  )
}
