import AccountTreeIcon from '@mui/icons-material/AccountTree'
import { RunList } from './RunList.js'
import { RunShow } from './RunShow.js'

export default { list: RunList, show: RunShow, icon: AccountTreeIcon, options: { label: 'Runs' } }
