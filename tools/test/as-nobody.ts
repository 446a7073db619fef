import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Permission tests run their subject as "nobody" (uid 65534) when the suite runs as root, since
 * root ignores permission bits. That child must reach this checkout's node_modules: a clone
 * inside a private folder (mode 0700, as `mktemp -d` makes) cannot be reached, and those tests
 * are then skipped with this reason rather than failing on something they do not test.
 */
export function nobodyCannotRunHere(): string | false {
  if (process.getuid?.() !== 0) return false;
  const probe = join(REPO, 'node_modules', 'tsx', 'package.json');
  const r = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(probe)}, ${constants.R_OK})`], { uid: 65534, gid: 65534 });
  if (r.status === 0) return false;
  const reason = `running as root, and uid 65534 cannot read ${probe} (a parent folder is private): permission tests skipped; clone into a folder others can traverse to run them`;
  process.stderr.write(`⚠️ ${reason}\n`);
  return reason;
}
