export { main, commandNames } from './main.ts'
export { UsageError, type Command } from './command.ts'
