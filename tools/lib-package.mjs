#!/usr/bin/env node
// Writes the published package.json of one library into its build output (dist/libs/<name>),
// after the library's `build` target (@nx/js:tsc) has compiled it there. Run by the `package`
// target of every library (`npx nx run-many -t package --projects=tag:type:lib`).
//
// Why a step of its own: the package.json in libs/<name> exports `./src/index.ts`, so that the
// monorepo (tsx, vitest, esbuild and the processes they spawn) runs on the sources with no build
// step and no runtime condition flag. @nx/js:tsc copies a package.json verbatim when it already
// has `exports`, which would publish that TypeScript entry. The published manifest is the same
// file with the entry pointed at the built JavaScript and declarations, and every other path of
// the package mapped to one module that says which entry to use instead (Node's own error,
// ERR_PACKAGE_PATH_NOT_EXPORTED, does not).
//
//   node tools/lib-package.mjs libs/<name>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const projectRoot = process.argv[2];
if (!projectRoot || !existsSync(join(projectRoot, 'package.json'))) {
  console.error(`usage: node tools/lib-package.mjs libs/<name>   (no package.json in "${projectRoot ?? ''}")`);
  process.exit(2);
}
const outDir = join('dist', projectRoot);
if (!existsSync(join(outDir, 'index.js')) || !existsSync(join(outDir, 'index.d.ts'))) {
  console.error(`${outDir}/index.js and index.d.ts are missing: build the library first (npx nx run <name>:build)`);
  process.exit(1);
}

const source = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
if (source.private !== false) {
  console.error(`${projectRoot}/package.json: a published library needs "private": false`);
  process.exit(1);
}
const INTERNAL = 'internal-path';
const { exports: _sourceExports, devDependencies: _devDependencies, scripts: _scripts, ...kept } = source;
const published = {
  ...kept,
  main: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', default: './index.js' },
    './package.json': './package.json',
    './*': { types: `./${INTERNAL}.d.ts`, default: `./${INTERNAL}.js` },
  },
};

const name = source.name;
const message = `${name}: this path is internal to the package. Import from "${name}", its public entry (its README lists what the entry exports).`;
writeFileSync(
  join(outDir, `${INTERNAL}.js`),
  `// Every path of ${name} other than its entry resolves here (see "exports" in package.json).\n` +
    `throw new Error(${JSON.stringify(message)});\n`,
);
writeFileSync(
  join(outDir, `${INTERNAL}.d.ts`),
  `/** ${message} */\nexport {};\n`,
);
writeFileSync(join(outDir, 'package.json'), JSON.stringify(published, null, 2) + '\n');
console.log(`wrote ${outDir}/package.json (${name}@${source.version})`);
