import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeFlagsFor, SERVING_NODE_FLAGS } from './node-flags.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

describe('the serving node flags (tools/node-flags.mjs)', () => {
  it('go to the commands that run the gateway, and to no other', () => {
    expect(nodeFlagsFor(['gateway', '--port', '0'])).toEqual(SERVING_NODE_FLAGS);
    expect(nodeFlagsFor(['--root', '/srv/web4', 'demo', '--nights', '2'])).toEqual(SERVING_NODE_FLAGS);
    expect(nodeFlagsFor(['--config=/etc/web4.json', '-v', 'gateway'])).toEqual(SERVING_NODE_FLAGS);
    for (const args of [['monitor', 'report'], ['--root', 'gateway', 'evening', 'run'], ['evening', 'run', 'gateway'], [], ['--help']]) expect(nodeFlagsFor(args)).toEqual([]);
  });

  it('are on every command line that starts a gateway: web4.mjs, the bench target and its gateway process, the bundle\'s documented command', () => {
    expect(SERVING_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(read('tools/web4.mjs')).toContain('...nodeFlagsFor(args)');
    const bench = JSON.parse(read('libs/serving-gateway/project.json')) as { targets: { bench: { options: { command: string } } } };
    for (const flag of SERVING_NODE_FLAGS) {
      expect(bench.targets.bench.options.command).toContain(`node ${flag} `);
      expect(read('libs/serving-gateway/src/bench/gateway.bench.ts')).toContain(`spawn(process.execPath, ['${flag}'`);
      expect(read('apps/gateway/README.md')).toContain(`node ${flag} dist/apps/gateway/main.js`);
      expect(read('apps/gateway/src/main.ts')).toContain(`node ${flag} dist/apps/gateway/main.js`);
    }
  });
});
