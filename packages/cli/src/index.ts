export { main, UsageError, type Command } from './main.ts'
