import type { Readable } from 'node:stream'

/** What `put` reports about a stored object. */
export interface StoredObject {
  readonly key: string
  readonly size: number
  /** Hex SHA-256 of the content. */
  readonly sha256: string
}

/**
 * Object storage by key. Keys are `/`-separated relative names (`testsets/<id>/masks/1_t1.mha`);
 * backends validate them so no key can escape the store. Backends: FileStorage (files under a
 * directory) and S3Storage (an S3-compatible object store with a local cache); createStorage
 * picks one from the configuration (STORAGE_URL).
 */
export interface Storage {
  /** Stores content under key (replacing any previous object atomically). */
  put(key: string, content: Readable | Uint8Array | string): Promise<StoredObject>
  /** The whole object; for small objects only (configs, metadata). */
  get(key: string): Promise<Buffer>
  stream(key: string): Promise<Readable>
  delete(key: string): Promise<void>
  /** Deletes every object whose key starts with `prefix/`. */
  deletePrefix(prefix: string): Promise<void>
  exists(key: string): Promise<boolean>
  /** Keys under `prefix/`, sorted. */
  list(prefix: string): Promise<string[]>
  /**
   * A local file with the object's content, for readers that need a path (image readers, model
   * loaders), named like the key's last segment (readers go by the extension). The path stays
   * valid until `release()`; read it, never write to it. Backends without local files hand out
   * a verified copy from a local cache (S3Storage); prefer `withLocalFile`, which releases.
   * `expected`: the content's SHA-256 when the caller knows it (recorded when it was stored):
   * S3Storage then hands out a cached copy without asking the store, and refuses other content.
   */
  localFile(key: string, expected?: { readonly sha256: string }): Promise<LocalFile>
  /**
   * Direct upload by the client, where the backend supports it (S3Storage; FileStorage has none):
   * a presigned PUT of exactly `size` bytes whose content must have the given SHA-256, valid for
   * a short time. The object is private like every other; the caller validates it from storage.
   */
  presignUpload?(key: string, options: PresignUploadOptions): Promise<PresignedUpload>
}

/** A leased local copy of a stored object (Storage.localFile). */
export interface LocalFile {
  readonly path: string
  /** Ends the use of `path` (it may then disappear); idempotent. */
  release(): Promise<void>
}

/** Largest object one PUT (and so one presigned upload) can create: S3's limit. */
export const MAX_PRESIGNED_UPLOAD_BYTES = 5 * 1024 ** 3

export interface PresignUploadOptions {
  /** Exact length of the content in bytes (signed: the store refuses any other length). */
  readonly size: number
  /** Hex SHA-256 of the content: stored as the object's checksum and, where the store checks it, verified on upload. */
  readonly sha256: string
  /** Validity of the URL in seconds (default 900, at most 3600). */
  readonly expiresSeconds?: number
}

export interface PresignedUpload {
  readonly url: string
  readonly method: 'PUT'
  /** Headers the client must send with the body (they are signed). */
  readonly headers: Readonly<Record<string, string>>
  readonly expiresAt: Date
}

/** Runs `use` with a local path of the object and releases it afterwards (Storage.localFile). */
export async function withLocalFile<T>(storage: Storage, key: string, use: (path: string) => Promise<T>): Promise<T> {
  const file = await storage.localFile(key)
  try {
    return await use(file.path)
  } finally {
    await file.release()
  }
}

/** A missing object, an invalid key, or an object whose content does not match its recorded SHA-256. */
export class StorageError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid_key' | 'corrupt',
    message: string,
  ) {
    super(message)
    this.name = 'StorageError'
  }
}

const SEGMENT = /^[A-Za-z0-9_.@+=-][A-Za-z0-9_.@+= -]*$/

/** Throws unless key is a safe relative name: no empty, `.` or `..` segments, no backslashes. */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024)
    throw new StorageError('invalid_key', `invalid storage key "${key}"`)
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..' || !SEGMENT.test(segment)) {
      throw new StorageError('invalid_key', `invalid storage key "${key}" (segment "${segment}")`)
    }
  }
  return key
}
