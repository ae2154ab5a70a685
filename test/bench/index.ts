import { benchEngine } from './engine.js'
import { benchValidate } from './validate.js'

console.log(`Culm benchmarks on Node ${process.version}`)
benchValidate()
await benchEngine()
