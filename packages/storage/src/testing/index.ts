export { startS3Server, S3RVER_CREDENTIALS, type TestS3Server, type StartS3ServerOptions } from './s3-server.ts'
export { countCommands } from './s3-commands.ts'
