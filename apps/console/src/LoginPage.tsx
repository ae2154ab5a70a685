import {
  Box,
  Button,
  Card,
  CardContent,
  Checkbox,
  FormControlLabel,
  TextField,
} from '@mui/material'
import { type FormEvent, useState } from 'react'
import { useLogin, useNotify } from 'react-admin'
import { messageOf } from './api/errors.js'

/** Asks for an API token (never put in a URL) and checks it with the server. */
export function LoginPage() {
  const [token, setToken] = useState('')
  const [remember, setRemember] = useState(false)
  const [busy, setBusy] = useState(false)
  const login = useLogin()
  const notify = useNotify()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    login({ token, remember }).catch((error: unknown) => {
      setBusy(false)
      notify(messageOf(error), { type: 'error' })
    })
  }
  return (
    <Box sx={{ display: 'flex', justifyContent: 'center', mt: 12 }}>
      <Card sx={{ width: 420 }}>
        <CardContent>
          <h2>Culm console</h2>
          <form onSubmit={submit}>
            <TextField
              label="API token"
              name="token"
              type="password"
              autoComplete="off"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              fullWidth
              autoFocus
              helperText="npm start prints the first admin token"
            />
            <FormControlLabel
              control={
                <Checkbox checked={remember} onChange={(e) => setRemember(e.target.checked)} />
              }
              label="Remember on this browser"
            />
            <Button type="submit" variant="contained" fullWidth disabled={busy || token === ''}>
              Log in
            </Button>
          </form>
        </CardContent>
      </Card>
    </Box>
  )
}
