/** How the SQLite tiers open their files. */
export interface TierFileOptions {
  /** How long a writer waits for another process's lock (ms): `monitoring.busyTimeoutMs`, the one setting for every database. Default 5000. */
  busyTimeoutMs?: number;
}
