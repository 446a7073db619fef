#!/usr/bin/env node
// Runs every test runner of the project and ends with one line that adds them up:
// `N passed, N failed, N skipped`. Exit code 0 only when nothing failed.
//   Vitest (every TypeScript project; integration tests start real servers themselves)
//   pytest (python/web4_trainer) in python/.venv
// Extra arguments go to Vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(repo, 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const runners = [];

function runVitest() {
  const out = join(results, 'vitest.json');
  const r = spawnSync(
    process.execPath,
    [join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)],
    { cwd: repo, stdio: 'inherit' },
  );
  if (!existsSync(out)) {
    runners.push(`vitest: no report (exit ${r.status})`);
    totals.failed += 1;
    return;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  // A file that failed to load counts as a failure even if no test inside it ran.
  const brokenFiles = report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  const passed = report.numPassedTests;
  const failed = report.numFailedTests + brokenFiles;
  const skipped = report.numPendingTests + report.numTodoTests;
  totals.passed += passed; totals.failed += failed; totals.skipped += skipped;
  if (r.status !== 0 && failed === 0) totals.failed += 1; // the runner failed outside any test
  runners.push(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

function runPytest() {
  const python = join(repo, 'python/.venv/bin/python');
  if (!existsSync(join(repo, 'python/pyproject.toml'))) return;
  if (!existsSync(python)) {
    runners.push('pytest: python/.venv missing (run node tools/bootstrap.mjs)');
    totals.failed += 1;
    return;
  }
  const xml = join(results, 'pytest.xml');
  const r = spawnSync(python, ['-m', 'pytest', '-q', `--junitxml=${xml}`], { cwd: join(repo, 'python'), stdio: 'inherit' });
  if (!existsSync(xml)) {
    runners.push(`pytest: no report (exit ${r.status})`);
    totals.failed += 1;
    return;
  }
  const text = readFileSync(xml, 'utf8');
  const attr = (name) => [...text.matchAll(new RegExp(`<testsuite [^>]*?\\b${name}="(\\d+)"`, 'g'))].reduce((s, m) => s + Number(m[1]), 0);
  const tests = attr('tests'), failures = attr('failures') + attr('errors'), skipped = attr('skipped');
  const passed = tests - failures - skipped;
  totals.passed += passed; totals.failed += failures; totals.skipped += skipped;
  if (r.status !== 0 && r.status !== 5 && failures === 0) totals.failed += 1;
  runners.push(`pytest: ${passed} passed, ${failures} failed, ${skipped} skipped`);
}

runVitest();
runPytest();
console.log('\n' + runners.join('\n'));
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed === 0 ? 0 : 1);
