// SQLite failures become StorageErrors the same way for every database: @web4/storage.
export { toStorageError } from '@web4/storage';
