/**
 * The worked example of docs/porting.md ("a link checker web service"): the port prints what
 * the Perl program printed. t/docs/examples.test.ts runs the port against its .out; this holds
 * the .out to the recording of the Perl original (t/fixtures/porting/link-checker.pl, recorded
 * with POE 1.37, Server::SimpleHTTP 2.28, Client::HTTP 0.949 and JobQueue 0.571).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { root } from '../kit/index.js';

test("the link checker's port prints exactly what POE printed", () => {
  const perl = readFileSync(join(root, 't/fixtures/porting/link-checker.expected'), 'utf8');
  const port = readFileSync(join(root, 'docs/examples/link-checker.out'), 'utf8');
  expect(port).toBe(perl);
  expect(perl.split('\n')).toHaveLength(5);
});
