/**
 * What `npm install poe-ts` gives a user: the files `npm pack` would publish (the built
 * library (and the script its Function pools' workers run), its types, the docs the README links to and their examples, LICENSE; no samples), types without the
 * `@internal` plumbing, and types a strict consumer compiles against from both ESM and CJS.
 * Runs on the built package (`npm test` builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, root } from '../kit/index.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Members marked `@internal` in src/ that a user must not see (a sample, not the full list). */
const INTERNAL_NAMES = ['_hold', '_register', '_ioDispatch', '_handlers', '_kernel', '_evTo', '_phase', '_gcMarked', '_allocWheelId', '_holdName', '_shareFd', '_onOrphan', '_warn'];

let packed: string[] = [];

beforeAll(() => {
  ensureBuilt('dist/index.d.cts');
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  packed = pack.files.map((f) => f.path).sort();
}, 60_000);

describe('npm pack', () => {
  test('ships the library, its types and maps, the docs and their examples, README, CHANGES and LICENSE, and nothing else (no samples, no chunk of theirs)', () => {
    const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
    // The docs' programs, each beside its output: the README links to them.
    const examples = readdirSync(join(root, 'docs', 'examples')).filter((f) => /\.(ts|out)$/.test(f)).map((f) => `docs/examples/${f}`);
    // pool-worker: the script a Function pool's workers (threads and processes) run.
    const dist = ['index.cjs', 'index.cjs.map', 'index.d.cts', 'index.d.ts', 'index.js', 'index.js.map', 'pool-worker.cjs', 'pool-worker.cjs.map', 'pool-worker.js', 'pool-worker.js.map'].map((f) => `dist/${f}`);
    expect(packed).toEqual(['CHANGES.md', 'LICENSE', 'README.md', ...dist, ...docs, ...examples, 'package.json'].sort());
    expect(docs.length).toBeGreaterThanOrEqual(4);
    expect(examples).toContain('docs/examples/first-program.ts');
  });

  test("every relative link in the packed Markdown (README's links to docs/, ...) points at a packed file", () => {
    const dead: string[] = [];
    let links = 0;
    for (const file of packed.filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
        links++;
        const path = posix.normalize(posix.join(posix.dirname(file), target.replace(/#.*$/, '')));
        if (!packed.includes(path) && !packed.some((p) => p.startsWith(`${path.replace(/\/$/, '')}/`))) dead.push(`${file}: ${target}`);
      }
    }
    expect(dead).toEqual([]);
    expect(links).toBeGreaterThan(20);
  });

  test("CHANGES.md's newest section is the package's version", () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const newest = /^## (.*)$/m.exec(readFileSync(join(root, 'CHANGES.md'), 'utf8'))?.[1];
    expect(newest?.split(' ')[0]).toBe(version);
  });

  test('the packed .d.ts and .d.cts carry no @internal member', () => {
    const types = packed.filter((f) => /\.d\.c?ts$/.test(f));
    expect(types).toEqual(['dist/index.d.cts', 'dist/index.d.ts']);
    for (const file of types) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(text).not.toContain('@internal');
      expect(INTERNAL_NAMES.filter((name) => new RegExp(`\\b${name}\\b`).test(text))).toEqual([]);
    }
  });
});

describe('a strict consumer of the packed types', () => {
  let dir = '';
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('type-checks from an ES module (index.d.ts) and a CommonJS module (index.d.cts), the types themselves included', () => {
    dir = mkdtempSync(join(tmpdir(), 'poe-ts-consumer-'));
    // The package as installed: exactly the packed files, under node_modules/poe-ts.
    const pkg = join(dir, 'node_modules', 'poe-ts');
    for (const file of packed) {
      mkdirSync(dirname(join(pkg, file)), { recursive: true });
      cpSync(join(root, file), join(pkg, file));
    }
    mkdirSync(join(dir, 'node_modules', '@types'));
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
    const program = `
import { Kernel, PoeArgumentError, PoeError, ReadWrite, Session, duplexPair, poeKernel, type SessionOrKernel } from 'poe-ts';

const kernel: Kernel = new Kernel();
const id = (x: SessionOrKernel): string => (x instanceof Kernel ? 'kernel' : \`S\${x.ID}\`);
Session.create({
  kernel,
  inlineStates: {
    _start: (ctx) => {
      const [a] = duplexPair();
      const wheel = new ReadWrite(ctx, { handle: a, inputEvent: 'got' });
      console.log(id(ctx.sender), wheel.ID);
    },
  },
});
try {
  new Kernel({ bogus: 1 } as object);
} catch (err) {
  if (err instanceof PoeArgumentError) console.log(err.code);
  else if (err instanceof PoeError) console.log(err.code);
}
// @ts-expect-error the kernel's plumbing for wheels is not part of the published types
poeKernel._hold;
void kernel.run();
`;
    writeFileSync(join(dir, 'esm.mts'), program);
    writeFileSync(join(dir, 'cjs.cts'), program);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', types: ['node'], noEmit: true, skipLibCheck: false },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', dir, '--listFiles', '--pretty', 'false'], { encoding: 'utf8', timeout: 60_000 });
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const listed = lines.filter((l) => l.includes('/node_modules/poe-ts/')).map((l) => l.slice(l.indexOf('node_modules/poe-ts/')));
    expect({ errors: lines.filter((l) => l.includes('error TS')), stderr: r.stderr, status: r.status }).toEqual({ errors: [], stderr: '', status: 0 });
    expect(listed).toEqual(['node_modules/poe-ts/dist/index.d.ts', 'node_modules/poe-ts/dist/index.d.cts']);
  }, 60_000);
});
