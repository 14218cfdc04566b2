/**
 * The documentation's programs are programs under test. Every complete program shown in
 * README.md or docs/*.md is a file under docs/examples/ with the exact stdout it prints beside it
 * (`name.ts`, `name.out`); the docs show the file in a ```ts block preceded by
 * `<!-- example: docs/examples/name.ts -->`, and may show the output in a plain block preceded by
 * `<!-- output: docs/examples/name.out -->`. This test holds the docs and the files together:
 * each marked block equals its file byte for byte, each example runs as a user runs it (tsx, in
 * a child process, `poe-ts` resolved by tsconfig.json's `paths` to this package) and prints its
 * .out exactly, and a ```ts block that looks like a whole program (an import from 'poe-ts' and a
 * `run(` call) cannot be left unmarked. Links between the documents must land on a heading.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, root } from '../kit/index.js';

const EXAMPLES = 'docs/examples';
const DOCS = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
/** Documents whose links to headings are checked: the docs and the change log. */
const LINKED = [...DOCS, 'CHANGES.md'];
/** The longest an example may run; each finishes in about a second. */
const RUN_LIMIT_MS = 30_000;

interface Block {
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  /** The block's text, each line ending in "\n", as a file holding it would be. */
  text: string;
  marker?: { kind: 'example' | 'output'; path: string };
}

interface Heading {
  doc: string;
  slug: string;
}

function read(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** Fenced code blocks of a Markdown file, with the marker comment on the line before each. */
function blocksOf(doc: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open as unknown as [string, string, string, string];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]!)) j++;
    const body = lines.slice(i + 1, j).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
    const m = /^\s*<!-- (example|output): (\S+) -->\s*$/.exec(lines[i - 1] ?? '');
    const block: Block = { doc, line: i + 1, lang, text: body.map((l) => `${l}\n`).join('') };
    if (m) block.marker = { kind: m[1] as 'example' | 'output', path: m[2]! };
    out.push(block);
    i = j;
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

function headingsOf(doc: string, markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const out: Heading[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^\s*(`{3,})/.exec(line);
    if (f) {
      if (fence === undefined) fence = f[1];
      else if (line.trim() === fence) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const h = /^#{1,6} (.+?)\s*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.push({ doc, slug: n === 0 ? base : `${base}-${n}` });
  }
  return out;
}

/** A whole program rather than a fragment: it imports poe-ts and runs a kernel. */
function isCompleteProgram(text: string): boolean {
  return /^import\s[^;]*?\sfrom\s+['"]poe-ts['"]/m.test(text) && /\brun\(/.test(text);
}

const blocks = DOCS.flatMap((doc) => blocksOf(doc, read(doc)));
const where = (b: Block): string => `${b.doc}:${b.line}`;
const exampleFiles = readdirSync(join(root, EXAMPLES))
  .filter((f) => f.endsWith('.ts'))
  .sort()
  .map((f) => `${EXAMPLES}/${f}`);

describe('the docs and docs/examples/ agree', () => {
  test('the docs show at least the first program, and every example file is shown somewhere', () => {
    const shown = new Set(blocks.flatMap((b) => (b.marker?.kind === 'example' ? [b.marker.path] : [])));
    expect(shown).toContain(`${EXAMPLES}/first-program.ts`);
    expect(exampleFiles.filter((f) => !shown.has(f))).toEqual([]);
  });

  test('each marked block equals its file byte for byte (programs in ```ts blocks, outputs in plain ones)', () => {
    const marked = blocks.filter((b) => b.marker !== undefined);
    expect(marked.length).toBeGreaterThanOrEqual(exampleFiles.length);
    const wrong: string[] = [];
    for (const b of marked) {
      const { kind, path } = b.marker!;
      const wantLang = kind === 'example' ? 'ts' : '';
      const wantExt = kind === 'example' ? '.ts' : '.out';
      if (!path.startsWith(`${EXAMPLES}/`) || !path.endsWith(wantExt)) wrong.push(`${where(b)}: ${kind} marker names ${path}`);
      else if (!existsSync(join(root, path))) wrong.push(`${where(b)}: ${path} does not exist`);
      else if (b.lang !== wantLang) wrong.push(`${where(b)}: a ${kind} block is \`\`\`${b.lang}, not \`\`\`${wantLang}`);
      else if (b.text !== read(path)) wrong.push(`${where(b)}: differs from ${path}`);
    }
    expect(wrong).toEqual([]);
  });

  test('a ```ts block that is a complete program (imports poe-ts, calls run()) carries an example marker', () => {
    // A program shown as JavaScript counts too: it would have to become an example (a ```ts one).
    const code = /^(ts|typescript|js|javascript|mjs)$/;
    const unmarked = blocks.filter((b) => code.test(b.lang) && isCompleteProgram(b.text) && b.marker?.kind !== 'example').map(where);
    expect(unmarked).toEqual([]);
    // The rule is not vacuous: every example file is such a program.
    expect(exampleFiles.filter((f) => !isCompleteProgram(read(f)))).toEqual([]);
  });

  test('each example has its expected output beside it, and nothing else is there', () => {
    const all = readdirSync(join(root, EXAMPLES)).sort();
    const expected = exampleFiles.flatMap((f) => [posix.basename(f), posix.basename(f).replace(/\.ts$/, '.out')]).sort();
    expect(all).toEqual(expected);
  });

  test('every link from one document to a heading (`file.md#anchor`, `#anchor`) lands on one', () => {
    const anchors = new Set(LINKED.flatMap((doc) => headingsOf(doc, read(doc)).map((h) => `${h.doc}#${h.slug}`)));
    const dead: string[] = [];
    let links = 0;
    for (const doc of LINKED) {
      // Links inside code blocks are code, not links.
      const prose = read(doc).replace(/^\s*(`{3,})[^\n]*\n[\s\S]*?^\s*\1\s*$/gm, '');
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target) || !target.includes('#')) continue;
        const [file, anchor] = target.split('#') as [string, string];
        const path = file === '' ? doc : posix.normalize(posix.join(posix.dirname(doc), file));
        if (!path.endsWith('.md')) continue;
        links++;
        if (!anchors.has(`${path}#${anchor}`)) dead.push(`${doc}: ${target}`);
      }
    }
    expect(dead).toEqual([]);
    expect(links).toBeGreaterThan(50);
  });
});

/** The environment of a user's shell: none of poe-ts's own switches, which would add output. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('POE_') || k === 'NODE_DEBUG' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return env;
}

function run(args: string[], input?: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: root, env: userEnv(), input, encoding: 'utf8', timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('each example runs by itself and prints its .out exactly', () => {
  test.each(exampleFiles)('%s', (file) => {
    // `node --import tsx` is `npx tsx` without the extra process; tsx applies tsconfig.json's
    // `paths`, so `import ... from 'poe-ts'` is this package's source.
    const result = run(['--import', 'tsx', file]);
    expect(result).toEqual({ status: 0, signal: null, stdout: read(file.replace(/\.ts$/, '.out')), stderr: '' });
  }, RUN_LIMIT_MS + 10_000);
});

describe('the first program is JavaScript too', () => {
  beforeAll(() => ensureBuilt('dist/index.js'), 60_000);

  test('plain node runs its text as an ES module (what `node first.mjs` does), importing the built package by name', () => {
    // Module code on stdin resolves from the working directory: inside this package, where
    // Node's self-reference maps 'poe-ts' through package.json `exports` to dist/, as an
    // installed package would be.
    const file = `${EXAMPLES}/first-program.ts`;
    const result = run(['--input-type=module', '-'], read(file));
    expect(result).toEqual({ status: 0, signal: null, stdout: read(`${EXAMPLES}/first-program.out`), stderr: '' });
  }, RUN_LIMIT_MS + 10_000);
});
