import FolderIcon from '@mui/icons-material/Folder'
import { ProjectCreate, ProjectList } from './ProjectList.js'
import { ProjectShow } from './ProjectShow.js'

export default {
  list: ProjectList,
  show: ProjectShow,
  create: ProjectCreate,
  icon: FolderIcon,
  options: { label: 'Projects' },
}
