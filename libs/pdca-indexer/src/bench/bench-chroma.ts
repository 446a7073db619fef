import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalService } from '@web4/local-services';

/**
 * Run a benchmark against its own Chroma (npm `chroma run` on a free port, data in a temp
 * folder): `main` gets the server's URL and the folder; the server is stopped and the folder
 * removed however it ends, and a failure sets exit code 1.
 */
export function benchWithChroma(prefix: string, main: (chromaUrl: string, work: string) => Promise<void>): void {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const chroma = new LocalService({ name: 'chroma', host: '127.0.0.1', port: 0, servicesDir: join(work, 'services'), dataDir: join(work, 'chroma'), startTimeoutS: 60 });
  chroma
    .up()
    .then((up) => {
      if (!up.url) throw new Error('chroma started without a URL');
      return main(up.url, work);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(async () => {
      await chroma.down().catch(() => undefined);
      rmSync(work, { recursive: true, force: true });
    });
}
