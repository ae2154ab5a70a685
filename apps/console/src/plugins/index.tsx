import ExtensionIcon from '@mui/icons-material/Extension'
import { PluginList, PluginShow } from './PluginList.js'

export default {
  list: PluginList,
  show: PluginShow,
  icon: ExtensionIcon,
  options: { label: 'Plugins' },
}
