/**
 * tld-sweep: the AnyEvent::DNS example of the "Practical Perl Tools" column (;login:, August
 * 2015), ported line by line. A name from the command line is looked up under every top-level
 * domain of a list, all at once (at most 10 queries on the wire, as AnyEvent::DNS), one
 * begin/end pair per lookup; at the end it prints how many domains it looked up and how long
 * that took. Its Perl twin is bench/anchors/dns/tld_sweep.pl, whose output the test compares.
 *
 * The column downloads IANA's list; this port reads a file in IANA's format (by default
 * samples/tlds.txt) or downloads the URL given after the name. DNS_SERVER names the server
 * (`127.0.0.1:5353`); without it, the system's.
 *
 *   DNS_SERVER=127.0.0.1:5353 node build/samples/tld-sweep.js example [TLDS-FILE-OR-URL]
 *
 * Perl's `$#domains`, the last index, is one less than the number of domains: the port prints
 * what the original prints.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CondVar, Kernel, Resolver } from '../src/index.js';

export interface TldSweepOptions {
  /** The name looked up under each TLD. */
  name: string;
  /** The TLD list's text, in IANA's format: a `#` comment line, then one TLD a line. */
  domainlist: string;
  /** The name server, as node:dns takes it (`127.0.0.1:5353`). @default the system's */
  server?: string;
  /** Where the line goes. @default console.log */
  out?: (line: string) => void;
  /** The kernel to run in. @default a new Kernel */
  kernel?: Kernel;
}

/** Perl's `split("\n", $text)`: no trailing empty fields. */
function split(text: string): string[] {
  const fields = text.split('\n');
  while (fields.length > 0 && fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/** Perl's number to string: 15 significant digits. */
const perlNumber = (x: number): string => String(Number(x.toPrecision(15)));

/**
 * Runs the sweep; `done` resolves with each domain's first address (or "did not resolve")
 * once the line is printed and the kernel has nothing left to do.
 */
export function start(options: TldSweepOptions): { kernel: Kernel; done: Promise<Record<string, string>> } {
  const { name, domainlist, server, out = (line: string) => console.log(line), kernel = new Kernel() } = options;
  const resolver = Resolver.spawn({ kernel, ...(server !== undefined ? { nameservers: [server] } : {}) });
  const running = kernel.run();

  const sweep = async (): Promise<Record<string, string>> => {
    // ignore the comment and the test TLDs
    const domains = split(domainlist).filter((d) => !/^(#|XN--)/.test(d));

    const c = new CondVar({ kernel });

    const domainresults: Record<string, string> = {};

    for (const domain of domains) {
      c.begin();
      void resolver.resolve({ host: `${name}.${domain}`, type: 'A' }).then((r) => {
        domainresults[domain] = r.response?.[0] || 'did not resolve';
        c.end();
      });
    }

    const start = performance.now();

    await c.wait();

    out(`${domains.length - 1} domains looked up in ${perlNumber((performance.now() - start) / 1000)} seconds.`);

    resolver.shutdown();
    await running;
    return domainresults;
  };
  return { kernel, done: sweep() };
}

/** samples/tlds.txt: beside this file, or beside the source when this is the built sample. */
function defaultList(): string {
  const here = new URL('tlds.txt', import.meta.url);
  return fileURLToPath(existsSync(here) ? here : new URL('../../samples/tlds.txt', import.meta.url));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const main = async (): Promise<void> => {
    // receive name to check from command line
    const name = process.argv[2];
    if (name === undefined) throw new Error('usage: tld-sweep NAME [TLDS-FILE-OR-URL]');

    const domainslist = process.argv[3] ?? defaultList();

    const domainlist = /^https?:\/\//.test(domainslist) ? await (await fetch(domainslist)).text() : readFileSync(domainslist, 'utf8');

    await start({ name, domainlist, ...(process.env.DNS_SERVER ? { server: process.env.DNS_SERVER } : {}) }).done;
  };
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
