// Node flags for the processes that serve queries (the gateway), in one place: tools/web4.mjs
// (`web4 gateway`, `web4 demo`), the serving-gateway bench and the gateway bundle's documented
// command line (apps/gateway/README.md) use them.
//
// --min-semi-space-size=16: V8 starts the young generation at 1 MiB and shrinks it back there
// while the process is quiet, so a gateway between questions collects garbage every ~1.5 s, and a
// scavenge inside a call adds 0.7-10 ms to it. 16 MiB semi-spaces from the start (about 25 MiB
// more resident) keep scavenges out of the calls (docs/benchmarks.md, the gateway section).
// Node refuses this flag in NODE_OPTIONS: it must be on node's command line.
export const SERVING_NODE_FLAGS = ['--min-semi-space-size=16'];

/** The web4 commands that run the gateway in their process. */
const SERVING_COMMANDS = new Set(['gateway', 'demo']);

/** The CLI's global options that take a value (`--root DIR`, `--config FILE`). */
const OPTIONS_WITH_VALUE = new Set(['--root', '--config']);

/** Flags for `node` running the CLI with these arguments (the first argument that is neither an option nor its value is the command). */
export function nodeFlagsFor(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return SERVING_COMMANDS.has(arg) ? [...SERVING_NODE_FLAGS] : [];
  }
  return [];
}
