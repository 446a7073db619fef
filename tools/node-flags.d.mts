/** Node flags for the processes that serve queries (tools/node-flags.mjs says why). */
export declare const SERVING_NODE_FLAGS: string[];
/** Flags for `node` running the CLI with these arguments. */
export declare function nodeFlagsFor(args: readonly string[]): string[];
