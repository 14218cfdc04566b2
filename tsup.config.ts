import { readdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

// Every sample is a single file under samples/ (or samples/<name>/index.ts) and is built to
// build/samples/<name>.js so it runs with plain `node`, no TypeScript at run time. build/ is
// not in package.json's `files`: the samples (and the library copy they bundle) do not ship.
const samples: Record<string, string> = {};
for (const entry of readdirSync('samples', { withFileTypes: true })) {
  if (entry.isFile() && entry.name.endsWith('.ts')) {
    samples[entry.name.slice(0, -3)] = `samples/${entry.name}`;
  } else if (entry.isDirectory() && entry.name !== 'poe-examples') {
    samples[entry.name] = `samples/${entry.name}/index.ts`;
  }
}
// POE's own examples, ported: samples/poe-examples/<name>.ts is built to
// build/samples/poe-examples/<name>.js.
for (const entry of readdirSync('samples/poe-examples', { withFileTypes: true })) {
  if (entry.isFile() && entry.name.endsWith('.ts')) {
    samples[`poe-examples/${entry.name.slice(0, -3)}`] = `samples/poe-examples/${entry.name}`;
  }
}

export default defineConfig([
  {
    // pool-worker: the worker side of Function pools, a file of its own that worker threads and
    // forked processes run (src/pool/backend.ts finds it beside the library).
    entry: { index: 'src/index.ts', 'pool-worker': 'src/pool/worker-entry.ts' },
    format: ['esm', 'cjs'],
    // @internal members (kernel and session plumbing the wheels use) stay out of the shipped types.
    dts: { entry: { index: 'src/index.ts' }, compilerOptions: { stripInternal: true } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    shims: true,
  },
  {
    entry: samples,
    outDir: 'build/samples',
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    // Samples import the library by relative path; bundling keeps them runnable alone.
    noExternal: [/.*/],
  },
]);
