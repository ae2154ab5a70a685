import { benchEngine } from './engine.js'
import { benchSandbox } from './sandbox.js'
import { benchServer } from './server.js'
import { benchStore } from './store.js'
import { benchValidate } from './validate.js'

/**
 * `node dist/bench/index.js [validate] [engine] [store] [server] [sandbox] [--flavor=sqlite,mysql] [--shape=seq1k,…]`:
 * the parts to run, all by default; the options narrow the store part.
 */
const parts = new Set(process.argv.slice(2).filter((arg) => !arg.startsWith('--')))
const wanted = (part: string): boolean => parts.size === 0 || parts.has(part)

console.log(`Culm benchmarks on Node ${process.version}`)
if (wanted('validate')) benchValidate()
if (wanted('engine')) await benchEngine()
if (wanted('store')) await benchStore()
if (wanted('server')) await benchServer()
if (wanted('sandbox')) await benchSandbox()
