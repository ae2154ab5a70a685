import { type FSWatcher, watch } from 'node:fs'
import { sep } from 'node:path'

/** What is watched: loaded plugins and how to reload one (`LoadedPlugins` is one). */
export interface WatchedPlugins {
  plugins: ReadonlyArray<{ name: string; directory: string }>
  reload(name: string): Promise<unknown>
}

/** Options of `watchPlugins`. */
export interface WatchPluginsOptions {
  /** Milliseconds without a change before a plugin is reloaded (200). */
  debounceMs?: number
  onReload?: (plugin: string) => void
  /** A reload that failed: the plugin's previous version stays loaded. */
  onError?: (plugin: string, error: unknown) => void
}

const IGNORED = /(^|[\\/])(node_modules|\.git)([\\/]|$)|\.tsbuildinfo$/

/**
 * Reloads a plugin when a file of its folder changes (its sources, or its build), a plugin
 * installed in `node_modules` excepted. Answers how to stop watching.
 * @example
 * const stop = watchPlugins(loaded, { onReload: (name) => console.log(`reloaded ${name}`) })
 */
export function watchPlugins(
  loaded: WatchedPlugins,
  options: WatchPluginsOptions = {},
): () => void {
  const watchers: FSWatcher[] = []
  const timers = new Map<string, NodeJS.Timeout>()
  const running = new Map<string, Promise<void>>()
  const reload = (name: string): void => {
    // One reload at a time per plugin; a change during a reload reloads once more after it.
    const previous = running.get(name) ?? Promise.resolve()
    const next = previous.then(async () => {
      try {
        await loaded.reload(name)
        options.onReload?.(name)
      } catch (error) {
        options.onError?.(name, error)
      }
    })
    running.set(name, next)
  }
  for (const plugin of [...loaded.plugins]) {
    if (plugin.directory.split(sep).includes('node_modules')) continue
    const name = plugin.name
    const watcher = watch(plugin.directory, { recursive: true }, (_event, file) => {
      if (file && IGNORED.test(file)) return
      clearTimeout(timers.get(name))
      timers.set(
        name,
        setTimeout(() => {
          timers.delete(name)
          reload(name)
        }, options.debounceMs ?? 200),
      )
    })
    watcher.on('error', (error) => options.onError?.(name, error))
    watchers.push(watcher)
  }
  return () => {
    for (const watcher of watchers) watcher.close()
    for (const timer of timers.values()) clearTimeout(timer)
    timers.clear()
  }
}
