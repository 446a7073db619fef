// The opener and its migration runner are shared by every library that stores rows: @web4/storage.
export { SqliteFile, type SqliteFileOptions } from '@web4/storage';
