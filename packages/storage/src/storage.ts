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
 * backends validate them so no key can escape the store. An S3 backend implements the same
 * interface without changes to callers.
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
   * A local file path for the object, for readers that need a file (image readers).
   * Backends without local files download to a temporary file here.
   */
  localPath(key: string): Promise<string>
}

/** A missing object or an invalid key. */
export class StorageError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid_key',
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
