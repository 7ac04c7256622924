export { type Storage, type StoredObject, StorageError, validateKey } from './storage.ts'
export { FileStorage } from './file-storage.ts'
