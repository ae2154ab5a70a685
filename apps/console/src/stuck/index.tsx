import WarningIcon from '@mui/icons-material/Warning'
import { StuckList } from './StuckList.js'

export default { list: StuckList, icon: WarningIcon, options: { label: 'Stuck runs' } }
