/** Test support for the nightly loop, shared with the runbook tests (tools/test/runbooks). */
export * from './tiny-night.js';
export * from './journal.js';
export * from './invariants.js';
export * from './tcp-proxy.js';
