#!/usr/bin/env node
// Bundles one app into dist/apps/<app>/main.js for cron. Our own @web4/* libraries are bundled
// in; third-party packages stay external (native modules such as better-sqlite3 and
// onnxruntime-node, and pino's worker transports, must load from node_modules, so the output
// folder must be inside the repository). Next to main.js goes embed-worker.js, the child process
// of the embedding pool (libs/rag-tiers), which the bundle forks from its own folder.
//   node tools/build-app.mjs <app> [--outdir dist/apps/<app>]
import { build } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';

const app = process.argv[2];
if (!app || !existsSync(`apps/${app}/src/main.ts`)) {
  console.error(`usage: node tools/build-app.mjs <app>   (apps/<app>/src/main.ts must exist; got "${app ?? ''}")`);
  process.exit(2);
}
const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : `dist/apps/${app}`;
const outfile = `${outdir}/main.js`;
await build({
  entryPoints: { main: `apps/${app}/src/main.ts`, 'embed-worker': 'libs/rag-tiers/src/embedding/embed-worker.ts' },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [
    {
      name: 'external-third-party',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@web4/') ? undefined : { path: args.path, external: true }));
      },
    },
  ],
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
console.log(`built ${outfile}`);
