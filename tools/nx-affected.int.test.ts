import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `nx affected` and `nx graph` on a scratch branch of a temporary clone of this repository: after
 * a change to one library, `nx affected -t lint test build` must plan exactly that library and the
 * projects that depend on it (from the real graph), and the graph must hold every `@web4/*`
 * import with the tags the module-boundary lint rule enforces. Nothing is run: Nx only plans.
 *
 * The clone starts from this working tree as it is (committed or not: changed and new files are
 * copied over and committed as the clone's base), so the test checks the Nx setup being worked on.
 */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'web4-nx-affected-'));
const clone = join(scratch, 'repo');
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=nx-affected test', '-c', 'user.email=nx-affected@test.invalid', ...args], { cwd: clone, encoding: 'utf8', stdio: 'pipe' }).trim();
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true' };
const nx = (...args: string[]) =>
  execFileSync(process.execPath, [join(REPO, 'node_modules/nx/dist/bin/nx.js'), ...args], { cwd: clone, encoding: 'utf8', stdio: 'pipe', env, maxBuffer: 64 * 1024 * 1024 });

interface ProjectGraphFile {
  graph: {
    nodes: Record<string, { data: { root: string; tags?: string[]; targets?: Record<string, unknown> } }>;
    dependencies: Record<string, Array<{ source: string; target: string }>>;
  };
}
interface TaskGraphFile {
  tasks: { tasks: Record<string, { target: { project: string; target: string } }> };
}

let graph: ProjectGraphFile['graph'];
let base: string;

/** The project and every project that depends on it, directly or through others. */
function withDependents(project: string): string[] {
  const found = new Set([project]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [source, deps] of Object.entries(graph.dependencies)) {
      if (!found.has(source) && graph.nodes[source] && deps.some((d) => found.has(d.target))) {
        found.add(source);
        grew = true;
      }
    }
  }
  return [...found].sort();
}

/** Commits a one-line change to `file` on a new branch from the base and returns what Nx calls affected. */
function affectedAfterChanging(branch: string, file: string): { projects: string[]; tasks: string[] } {
  git('checkout', '--quiet', '-b', branch, base);
  appendFileSync(join(clone, file), '\n// a change on a scratch branch\n');
  git('commit', '--quiet', '-am', `change ${file}`);
  const projects = (JSON.parse(nx('show', 'projects', '--affected', `--base=${base}`, '--head=HEAD', '--json')) as string[]).sort();
  const taskFile = join(scratch, `${branch}-tasks.json`);
  nx('affected', '-t', 'lint', 'test', 'build', `--base=${base}`, '--head=HEAD', `--graph=${taskFile}`);
  const tasks = Object.keys((JSON.parse(readFileSync(taskFile, 'utf8')) as TaskGraphFile).tasks.tasks).sort();
  return { projects, tasks };
}

/**
 * The clone's node_modules: every installed package linked from this repository's, except the
 * workspace links (@web4/*), which point into the clone's own libs/ and apps/ as npm makes them
 * (relative links). Linking the whole folder would resolve @web4 imports to this repository, and
 * Nx would see the clone's imports leaving the workspace.
 */
function linkNodeModules(): void {
  const from = join(REPO, 'node_modules');
  const to = join(clone, 'node_modules');
  mkdirSync(join(to, '@web4'), { recursive: true });
  for (const entry of readdirSync(from)) {
    if (entry !== '@web4') symlinkSync(join(from, entry), join(to, entry));
  }
  for (const entry of readdirSync(join(from, '@web4'))) {
    symlinkSync(readlinkSync(join(from, '@web4', entry)), join(to, '@web4', entry));
  }
}

beforeAll(() => {
  execFileSync('git', ['clone', '--quiet', '--no-checkout', REPO, clone], { stdio: 'pipe' });
  git('checkout', '--quiet', '-B', 'main', 'HEAD');
  // The working tree as it is: changed, deleted and new (not ignored) files.
  const changed = execFileSync('git', ['ls-files', '--modified', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const file of new Set(changed)) {
    const from = join(REPO, file);
    if (existsSync(from)) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      cpSync(from, join(clone, file));
    } else {
      rmSync(join(clone, file), { force: true });
    }
  }
  git('add', '-A');
  git('commit', '--quiet', '--allow-empty', '-m', 'base: the working tree');
  base = git('rev-parse', 'HEAD');
  linkNodeModules();
  const graphFile = join(scratch, 'graph.json');
  nx('graph', `--file=${graphFile}`);
  graph = (JSON.parse(readFileSync(graphFile, 'utf8')) as ProjectGraphFile).graph;
}, 180_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('nx graph', () => {
  it('holds every @web4 import of every project as an edge', () => {
    const pkgToProject = new Map<string, string>();
    for (const [name, node] of Object.entries(graph.nodes)) {
      const pkg = JSON.parse(readFileSync(join(clone, node.data.root, 'package.json'), 'utf8')) as { name: string };
      pkgToProject.set(pkg.name, name);
    }
    let edges = 0;
    for (const [name, node] of Object.entries(graph.nodes)) {
      const src = join(clone, node.data.root, 'src');
      const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
      const imported = new Set<string>();
      for (const f of files) {
        for (const m of readFileSync(join(src, f), 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)'(@web4\/[a-z-]+)[^']*'/g)) imported.add(m[1]!);
      }
      const targets = new Set((graph.dependencies[name] ?? []).map((d) => d.target));
      for (const pkg of imported) {
        const target = pkgToProject.get(pkg);
        expect(target, `${name} imports ${pkg}, which is no project`).toBeDefined();
        if (target === name) continue;
        expect(targets.has(target!), `${name} → ${target} (it imports ${pkg})`).toBe(true);
        edges++;
      }
    }
    expect(edges).toBeGreaterThan(30);
    // A few arrows named outright.
    const has = (from: string, to: string) => (graph.dependencies[from] ?? []).some((d) => d.target === to);
    expect(has('metrics-store', 'core')).toBe(true);
    expect(has('cli', 'evening-loop')).toBe(true);
    expect(has('gateway', 'serving-gateway')).toBe(true);
    expect(has('core', 'metrics-store')).toBe(false);
  });

  it('tags every project with the type:* and scope:* that eslint.config.mjs enforces', () => {
    const lintConfig = readFileSync(join(clone, 'eslint.config.mjs'), 'utf8');
    const enforced = new Set([...lintConfig.matchAll(/sourceTag: '([^']+)'/g)].map((m) => m[1]!));
    for (const [name, node] of Object.entries(graph.nodes)) {
      const tags = node.data.tags ?? [];
      const type = tags.filter((t) => t.startsWith('type:'));
      const scope = tags.filter((t) => t.startsWith('scope:'));
      expect(type, `${name}: one type:* tag`).toHaveLength(1);
      expect(scope, `${name}: one scope:* tag`).toHaveLength(1);
      expect(enforced.has(type[0]!) && enforced.has(scope[0]!), `${name}: ${type[0]}, ${scope[0]} have rules`).toBe(true);
      expect(type[0]).toBe(node.data.root.startsWith('apps/') ? 'type:app' : 'type:lib');
    }
  });
});

describe('nx affected after a change to one library', () => {
  it('plans lint, test and build for that library and its dependents only', () => {
    const { projects, tasks } = affectedAfterChanging('scratch-metrics-store', 'libs/metrics-store/src/index.ts');
    const expected = withDependents('metrics-store');
    expect(projects).toEqual(expected);
    // Not the whole workspace: the layers below are untouched.
    expect(projects).not.toContain('core');
    expect(projects).toContain('cli');
    const planned = (target: string) => [...new Set(tasks.filter((t) => t.endsWith(`:${target}`)).map((t) => t.split(':')[0]!))].sort();
    expect(planned('lint')).toEqual(expected);
    expect(planned('test')).toEqual(expected);
    // build: every affected project that has a build target (apps always do).
    const buildable = expected.filter((p) => graph.nodes[p]!.data.targets?.['build']);
    expect(buildable).toEqual(expect.arrayContaining(['cli', 'gateway', 'validator']));
    for (const p of buildable) expect(tasks).toContain(`${p}:build`);
  }, 120_000);

  it('plans only the app when the change is in an app', () => {
    const { projects } = affectedAfterChanging('scratch-validator', 'apps/validator/src/main.ts');
    expect(projects).toEqual(['validator']);
    expect(withDependents('validator')).toEqual(['validator']);
  }, 120_000);
});
