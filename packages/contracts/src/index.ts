export * from './queues.ts'
