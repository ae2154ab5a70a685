import {
  Alert,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  FormControlLabel,
  FormGroup,
  Radio,
  RadioGroup,
  Tab,
  Tabs,
} from '@mui/material'
import { createContext, type ReactNode, useContext, useState } from 'react'
import { messageOf } from '../api/errors.js'
import { JsonEditor, JsonView } from '../common/JsonEditor.js'
import { type JsonSchema, SchemaForm } from '../common/SchemaForm.js'
import { call } from '../providers.js'
import {
  ACTION_LABELS,
  type AdminAction,
  adminPath,
  describeAction,
  isDangerous,
} from './admin-actions.js'

/** What an action's dialog asks for besides the confirmation. */
export type ActionInput =
  | { kind: 'none' }
  | { kind: 'fixed'; body: Record<string, unknown> }
  | { kind: 'inputs'; schema: JsonSchema | null; initial: Record<string, unknown> }
  | { kind: 'data' }
  | { kind: 'flow'; flows: { id: string; label: string }[] }
  | { kind: 'flows'; flows: { id: string; label: string }[]; convergeId: string | null }

/** The engine's answer, or its refusal. */
interface Outcome {
  ok: boolean
  message: string
}

function initialBody(input: ActionInput): Record<string, unknown> {
  switch (input.kind) {
    case 'inputs':
      return { inputs: input.initial }
    case 'data':
      return { data: {} }
    case 'flow':
      return input.flows[0] ? { flow_id: input.flows[0].id } : {}
    case 'flows':
      return {
        flow_ids: input.flows.map((f) => f.id),
        ...(input.convergeId ? { converge_gateway_id: input.convergeId } : {}),
      }
    case 'fixed':
      return input.body
    case 'none':
      return {}
  }
}

/** An action to confirm: what it is, on what, and what it needs. */
interface ActionRequest {
  engineType: string
  action: AdminAction
  instanceId: string
  target: string
  input: ActionInput
  label: string
  onDone?: (() => void) | undefined
}

const HostContext = createContext<((request: ActionRequest) => void) | null>(null)

/**
 * Holds the confirmation dialog of the actions of a page. The dialog lives here rather than in its
 * button, so it stays open with the engine's answer when the action changes the state that
 * offered the button.
 */
export function AdminActionHost({ children }: { children: ReactNode }) {
  const [request, setRequest] = useState<ActionRequest | null>(null)
  const [serial, setSerial] = useState(0)
  return (
    <HostContext.Provider
      value={(next) => {
        setRequest(next)
        setSerial((n) => n + 1)
      }}
    >
      {children}
      {request && <ActionDialog key={serial} request={request} onClose={() => setRequest(null)} />}
    </HostContext.Provider>
  )
}

function ActionDialog({ request, onClose }: { request: ActionRequest; onClose: () => void }) {
  const { engineType, action, instanceId, target, input, label, onDone } = request
  const [body, setBody] = useState<Record<string, unknown>>(() => initialBody(input))
  const [valid, setValid] = useState(true)
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [tab, setTab] = useState<'form' | 'json'>('form')
  const danger = isDangerous(action)
  const confirm = async () => {
    setBusy(true)
    try {
      const answer = await call<{ result?: boolean; message?: string }>(
        'POST',
        adminPath(engineType, action, instanceId),
        { body },
      )
      const ok = answer?.result !== false
      setOutcome({ ok, message: answer?.message ?? (ok ? 'success' : 'refused') })
      if (ok) onDone?.()
    } catch (error) {
      setOutcome({ ok: false, message: messageOf(error) })
    } finally {
      setBusy(false)
    }
  }
  const selected = new Set((body.flow_ids as string[] | undefined) ?? [])
  return (
    <Dialog open onClose={onClose} maxWidth="sm" fullWidth>
      <DialogTitle>
        {label} · {engineType}
      </DialogTitle>
      <DialogContent>
        <DialogContentText data-testid="action-description">
          {describeAction(action, target, engineType)}
        </DialogContentText>
        {input.kind === 'inputs' && (
          <>
            <Tabs value={tab} onChange={(_, t) => setTab(t)}>
              <Tab value="form" label="Form" />
              <Tab value="json" label="JSON" />
            </Tabs>
            {tab === 'form' ? (
              input.schema ? (
                <SchemaForm
                  schema={input.schema}
                  value={(body.inputs as Record<string, unknown>) ?? {}}
                  onChange={(inputs) => setBody({ inputs })}
                />
              ) : (
                <Alert severity="info" sx={{ mt: 1 }}>
                  The component declares no input schema: edit the inputs as JSON.
                </Alert>
              )
            ) : (
              <JsonEditor
                label="Inputs"
                name="inputs-json"
                value={body.inputs}
                onChange={(inputs, ok) => {
                  setValid(ok)
                  if (ok) setBody({ inputs: inputs ?? {} })
                }}
              />
            )}
          </>
        )}
        {input.kind === 'fixed' && Object.keys(input.body).length > 0 && (
          <JsonView value={input.body} />
        )}
        {input.kind === 'data' && (
          <JsonEditor
            label="Callback data"
            name="callback-data"
            rows={4}
            value={body.data}
            onChange={(data, ok) => {
              setValid(ok)
              if (ok) setBody({ data })
            }}
          />
        )}
        {input.kind === 'flow' && (
          <RadioGroup
            value={(body.flow_id as string | undefined) ?? ''}
            onChange={(e) => setBody({ flow_id: e.target.value })}
          >
            {input.flows.map((flow) => (
              <FormControlLabel
                key={flow.id}
                value={flow.id}
                control={<Radio />}
                label={flow.label}
              />
            ))}
          </RadioGroup>
        )}
        {input.kind === 'flows' && (
          <FormGroup>
            {input.flows.map((flow) => (
              <FormControlLabel
                key={flow.id}
                label={flow.label}
                control={
                  <Checkbox
                    checked={selected.has(flow.id)}
                    onChange={(e) => {
                      const next = new Set(selected)
                      if (e.target.checked) next.add(flow.id)
                      else next.delete(flow.id)
                      setBody({ ...body, flow_ids: [...next] })
                    }}
                  />
                }
              />
            ))}
            <DialogContentText>
              Converge gateway: {input.convergeId ?? 'none found in the tree'}
            </DialogContentText>
          </FormGroup>
        )}
        {outcome && (
          <Alert
            severity={outcome.ok ? 'success' : 'error'}
            sx={{ mt: 2 }}
            data-testid="action-outcome"
          >
            {outcome.ok ? `Done: ${outcome.message}` : `Refused: ${outcome.message}`}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>{outcome ? 'Close' : 'Cancel'}</Button>
        {!outcome?.ok && (
          <Button
            variant="contained"
            color={danger ? 'error' : 'primary'}
            disabled={busy || !valid}
            onClick={() => void confirm()}
            data-testid="confirm-action"
          >
            {label}
          </Button>
        )}
      </DialogActions>
    </Dialog>
  )
}

/** A button for one engine-admin action; its confirmation opens in the page's action host. */
export function AdminActionButton({
  engineType,
  action,
  instanceId,
  target,
  input = { kind: 'none' },
  onDone,
}: {
  engineType: string
  action: AdminAction
  instanceId: string
  target: string
  input?: ActionInput
  onDone?: () => void
}) {
  const open = useContext(HostContext)
  const shown = ACTION_LABELS[action]
  const danger = isDangerous(action)
  return (
    <Button
      size="small"
      variant="outlined"
      color={danger ? 'error' : 'primary'}
      disabled={open === null}
      onClick={() =>
        open?.({ engineType, action, instanceId, target, input, label: shown, onDone })
      }
      data-action={action}
      sx={{ whiteSpace: 'nowrap' }}
    >
      {shown}
    </Button>
  )
}
