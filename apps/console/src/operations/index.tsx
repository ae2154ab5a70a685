import HistoryIcon from '@mui/icons-material/History'
import { OperationList } from './OperationList.js'

export default { list: OperationList, icon: HistoryIcon, options: { label: 'Operation log' } }
