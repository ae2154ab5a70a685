import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle } from '@mui/material'

/** A secret the server shows once (a token, an app secret), with a warning to copy it now. */
export function ShownOnce({
  title,
  secret,
  onClose,
}: {
  title: string
  secret: string | null
  onClose: () => void
}) {
  return (
    <Dialog open={secret !== null} onClose={onClose}>
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        <Alert severity="warning">Copy it now: the server keeps only its hash.</Alert>
        <pre data-testid="shown-once" style={{ userSelect: 'all', fontSize: 14 }}>
          {secret}
        </pre>
      </DialogContent>
      <DialogActions>
        <Button onClick={() => void navigator.clipboard?.writeText(secret ?? '')}>Copy</Button>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  )
}
