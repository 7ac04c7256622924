export { main, commandNames, UsageError, type Command } from './main.ts'
