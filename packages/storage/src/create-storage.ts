import { join } from 'node:path'
import type { Config } from '@spider-bench/config'
import { FileStorage } from './file-storage.ts'
import type { Storage } from './storage.ts'

/**
 * The storage backend the configuration names (STORAGE_URL): FileStorage in DATA_DIR/storage
 * (default) or another directory, or S3Storage with its local cache in DATA_DIR/cache bounded by
 * STORAGE_CACHE_MB; credentials for S3 come from the AWS environment variables. The AWS SDK is
 * loaded only for S3 (a third of a second of start-up otherwise spent for nothing).
 */
export async function createStorage(config: Pick<Config, 'dataDir' | 'storage' | 'storageCacheMb'>): Promise<Storage> {
  const location = config.storage
  if (location.kind === 'file') return new FileStorage(location.root ?? join(config.dataDir, 'storage'))
  const { S3Storage } = await import('./s3-storage.ts')
  return new S3Storage({
    bucket: location.bucket,
    prefix: location.prefix,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    ...(location.region ? { region: location.region } : {}),
    forcePathStyle: location.forcePathStyle,
    cacheDir: join(config.dataDir, 'cache'),
    cacheMaxBytes: config.storageCacheMb * 1024 * 1024,
  })
}
