import ExpandMoreIcon from '@mui/icons-material/ExpandMore'
import {
  Accordion,
  AccordionDetails,
  AccordionSummary,
  Box,
  Chip,
  Stack,
  Typography,
} from '@mui/material'
import { useState } from 'react'
import {
  BooleanField,
  Datagrid,
  FunctionField,
  List,
  Show,
  SimpleShowLayout,
  TextField,
  TextInput,
  useRecordContext,
} from 'react-admin'
import { JsonView } from '../common/JsonEditor.js'
import { SchemaForm } from '../common/SchemaForm.js'
import type { ComponentInfo, PluginInfo } from './components.js'

/** The loaded plugins. */
export function PluginList() {
  return (
    <List
      perPage={50}
      sort={{ field: 'name', order: 'ASC' }}
      filters={[<TextInput key="q" source="q" label="Search" alwaysOn />]}
    >
      <Datagrid rowClick="show" bulkActionButtons={false}>
        <TextField source="name" />
        <TextField source="version" />
        <BooleanField source="test" label="Test kit" />
        <FunctionField
          label="Components"
          render={(p: PluginInfo) => p.components.map((c) => `${c.code}@${c.version}`).join(', ')}
        />
      </Datagrid>
    </List>
  )
}

/** One component: its schemas rendered as the forms a retry with edited inputs uses. */
function ComponentPanel({ component }: { component: ComponentInfo }) {
  const [value, setValue] = useState<Record<string, unknown>>({})
  return (
    <Accordion data-testid={`component-${component.code}`}>
      <AccordionSummary expandIcon={<ExpandMoreIcon />}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <strong>{component.code}</strong>
          <Chip size="small" label={component.version} />
          <span>{component.name}</span>
          {component.test && <Chip size="small" color="warning" label="test" />}
        </Stack>
      </AccordionSummary>
      <AccordionDetails>
        {component.description && <Typography variant="body2">{component.description}</Typography>}
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={3}>
          <Box sx={{ flex: 1 }}>
            <Typography variant="subtitle2">Inputs</Typography>
            <SchemaForm schema={component.inputs_schema} value={value} onChange={setValue} />
            <Typography variant="caption">JSON Schema</Typography>
            <JsonView value={component.inputs_schema ?? null} />
          </Box>
          <Box sx={{ flex: 1 }}>
            <Typography variant="subtitle2">Outputs</Typography>
            <SchemaForm schema={component.outputs_schema} value={{}} readOnly />
            <Typography variant="caption">JSON Schema</Typography>
            <JsonView value={component.outputs_schema ?? null} />
          </Box>
        </Stack>
      </AccordionDetails>
    </Accordion>
  )
}

function Components() {
  const plugin = useRecordContext<PluginInfo & { id: string }>()
  if (!plugin) return null
  return (
    <Box>
      {plugin.components.map((c) => (
        <ComponentPanel key={`${c.code}@${c.version}`} component={c} />
      ))}
      {(plugin.lazy_variables ?? []).length > 0 && (
        <Typography variant="body2" sx={{ mt: 1 }}>
          Lazy variables: {(plugin.lazy_variables ?? []).join(', ')}
        </Typography>
      )}
    </Box>
  )
}

/** A plugin, its components, versions and schemas. */
export function PluginShow() {
  return (
    <Show>
      <SimpleShowLayout>
        <TextField source="name" />
        <TextField source="version" />
        <BooleanField source="test" label="Test kit" />
        <Components />
      </SimpleShowLayout>
    </Show>
  )
}
