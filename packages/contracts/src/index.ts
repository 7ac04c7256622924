export * from './queues.ts'
export * from './job-options.ts'
export * from './events.ts'
