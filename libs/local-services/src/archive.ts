import { runChecked } from './command.js';

/**
 * Extract members of a zip (wheel) or tar.gz (sdist) archive with Python's standard library,
 * which every machine that runs the trainer has. `members` maps archive paths to output paths.
 */
export async function extractMembers(archive: string, members: Record<string, string>, python = 'python3'): Promise<void> {
  const script = `
import json, shutil, sys, tarfile, zipfile, os
archive, members = sys.argv[1], json.loads(sys.argv[2])
if archive.endswith('.whl') or archive.endswith('.zip'):
    opener = zipfile.ZipFile(archive)
    read = lambda name: opener.open(name)
else:
    opener = tarfile.open(archive)
    read = lambda name: opener.extractfile(name)
for name, out in members.items():
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with read(name) as src, open(out, 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
`;
  await runChecked(python, ['-c', script, archive, JSON.stringify(members)], `Extracting ${Object.keys(members).length} file(s) from ${archive}`);
}

/** Unpack a Debian package's files (not installing it) into `dir`. */
export async function extractDeb(deb: string, dir: string): Promise<void> {
  await runChecked('dpkg', ['-x', deb, dir], `Unpacking ${deb}`, { installHint: 'dpkg is needed to unpack the header packages of the Ollama build' });
}
