// The numbered-migration type shared by every database: @web4/storage.
export type { Migration } from '@web4/storage';
