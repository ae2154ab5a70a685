import PeopleIcon from '@mui/icons-material/People'
import { UserCreate, UserList, UserShow } from './UserList.js'

export default {
  list: UserList,
  show: UserShow,
  create: UserCreate,
  icon: PeopleIcon,
  options: { label: 'Users and tokens' },
}
