import AppsIcon from '@mui/icons-material/Apps'
import { AppCreate, AppList } from './AppList.js'

export default { list: AppList, create: AppCreate, icon: AppsIcon, options: { label: 'Apps' } }
