import AccountTreeIcon from '@mui/icons-material/AccountTree'
import { RunList } from './RunList.js'

export default { list: RunList, icon: AccountTreeIcon, options: { label: 'Runs' } }
