import { benchEngine } from './engine.js'
import { benchStore } from './store.js'
import { benchValidate } from './validate.js'

console.log(`Culm benchmarks on Node ${process.version}`)
benchValidate()
await benchEngine()
await benchStore()
