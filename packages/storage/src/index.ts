export {
  type Storage,
  type StoredObject,
  type LocalFile,
  type PresignUploadOptions,
  type PresignedUpload,
  MAX_PRESIGNED_UPLOAD_BYTES,
  StorageError,
  validateKey,
  withLocalFile,
} from './storage.ts'
export { FileStorage } from './file-storage.ts'
// The class itself is in '@spider-bench/storage/s3' (it loads the AWS SDK); createStorage loads it on demand.
export type { S3Storage, S3StorageOptions } from './s3-storage.ts'
export { LocalCache, type LocalCacheOptions } from './local-cache.ts'
export { createStorage } from './create-storage.ts'
