import CategoryIcon from '@mui/icons-material/Category'
import { Datagrid, List, TextField } from 'react-admin'

/** The task categories the task API accepts. */
function CategoryList() {
  return (
    <List perPage={100} pagination={false} title="Task categories">
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <TextField source="id" />
        <TextField source="name" />
      </Datagrid>
    </List>
  )
}

export default { list: CategoryList, icon: CategoryIcon, options: { label: 'Task categories' } }
