import type { S3Client } from '@aws-sdk/client-s3'

/**
 * Counts the commands a client sends, by name (`GetObjectCommand`, `UploadPartCommand`, ...):
 * a middleware on the real client, for tests that check how often the store is asked.
 */
export function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>()
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown'
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'spiderCountCommands' },
  )
  return counts
}
