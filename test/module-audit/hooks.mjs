// Module customization hooks of preload.mjs: log each loaded module, change nothing.
import { appendFileSync } from 'node:fs'

let file = ''
let thread = 0

export function initialize(data) {
  file = data.file
  thread = data.threadId
}

export async function load(url, context, nextLoad) {
  appendFileSync(file, `${thread} ${url}\n`)
  return nextLoad(url, context)
}
