/**
 * Spec section 3 (3.0-3.7): standalone filter semantics, no kernel. Mirrors probe 17_filters
 * line by line, printing with the probe's `show` and comparing with its recorded output.
 */
import { describe, expect, test } from 'vitest';
import { Block, Grep, Line, Map as MapFilter, RecordBlock, Reference, Stackable, Stream } from '../../src/index.js';
import { expectedLines, probeExpected } from '../kit/index.js';

const PROBE = probeExpected('17_filters');

/** The probe's `show`: records joined by `|`, arrays as `[a,b]`, CR/LF/NUL escaped. */
function show(records: readonly unknown[] | undefined): string {
  const one = (r: unknown): string => {
    if (r === undefined || r === null) return 'undef';
    if (Array.isArray(r)) return `[${r.map(one).join(',')}]`;
    if (Buffer.isBuffer(r)) return r.toString('latin1');
    if (typeof r === 'string') return r;
    return JSON.stringify(r);
  };
  return (records ?? []).map((r) => one(r).replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\0/g, '\\0')).join('|');
}

describe('probe 17_filters', () => {
  test('every filter behaves as the probe recorded', () => {
    const out: string[] = [];
    const say = (...parts: unknown[]) => out.push(parts.join(''));

    const l = new Line();
    say("Line default get(['a\\r','\\nb\\n']) in ONE call -> ", show(l.get(['a\r', '\nb\n'])), '  (chunks are joined first)');
    say(
      "Line default get(['a\\r']) then get(['\\nb\\n']) -> ",
      show(l.get(['a\r'])),
      ' then ',
      show(l.get(['\nb\n'])),
      '  (CR at end of a read ends the line; the LF in the next read yields an EMPTY line)',
    );
    say("Line default get(['one\\r\\ntwo\\n\\rthree']) -> ", show(l.get(['one\r\ntwo\n\rthree'])));
    say('Line default get_pending -> ', show(l.get_pending()));
    say("Line default put(['x','y']) -> ", show(l.put(['x', 'y'])));
    const lit = new Line({ literal: '\n' });
    say("Literal \\n get(['a\\r\\nb\\n']) -> ", show(lit.get(['a\r\nb\n'])), '; put -> ', show(lit.put(['z'])));
    const auto = new Line({ inputLiteral: null });
    say("autodetect get(['a\\r']) -> ", show(auto.get(['a\r'])), "; then get(['\\nb\\r\\nc\\n']) -> ", show(auto.get(['\nb\r\nc\n'])));
    const re = new Line({ inputRegexp: /[;,]/, outputLiteral: ';' });
    say("InputRegexp [;,] get(['a;b,c']) -> ", show(re.get(['a;b,c'])), '; pending -> ', show(re.get_pending() ?? []));
    say('get_pending on empty filter -> ', new Line().get_pending() !== undefined ? 'defined' : 'undef');
    const s = new Stream();
    say("Stream get(['ab','cd']) -> ", show(s.get(['ab', 'cd'])), "; put(['x','y']) -> ", show(s.put(['x', 'y'])));
    const b = new Block({ blockSize: 3 });
    say("Block(3) get(['abcdefgh']) -> ", show(b.get(['abcdefgh'])), '; pending -> ', show(b.get_pending()), "; put(['ab','cdef']) -> ", show(b.put(['ab', 'cdef'])));
    const bl = new Block();
    say("Block(length-prefixed) put(['hello','']) -> ", show(bl.put(['hello', ''])), "; get(['5\\0hel','lo3\\0ab']) -> ", show(bl.get(['5\0hel', 'lo3\0ab'])));
    const rb = new RecordBlock({ blockSize: 2 });
    say('RecordBlock(2) get([1..5]) -> ', show(rb.get([1, 2, 3, 4, 5])), '; put([[a,b],[c]]) -> ', show(rb.put([['a', 'b'], ['c']])));
    const g = new Grep<string>({ code: (x) => /keep/.test(x) });
    say("Grep get(['keep1','drop','keep2']) -> ", show(g.get(['keep1', 'drop', 'keep2'])));
    const m = new MapFilter<string, string>({ get: (x) => x.toUpperCase(), put: (x) => x.toLowerCase() });
    say("Map get(['ab']) -> ", show(m.get(['ab'])), "; put(['CD']) -> ", show(m.put(['CD'])));
    const st = new Stackable({ filters: [new Line({ literal: '\n' }), new MapFilter<string, string>({ code: (x) => `<${x}>` })] });
    say("Stackable(Line,Map) get(['a\\nb\\n']) -> ", show(st.get(['a\nb\n'])), "; put(['z']) -> ", show(st.put(['z'])));
    const ref = new Reference<{ k: string }>();
    const frozen = ref.put([{ k: 'v' }]);
    const header = /^(\d+)\0/.exec((frozen[0] as Buffer).toString('latin1'));
    say('Reference put framing: ', header ? `length-prefix ${header[1]} + NUL` : 'other', '; roundtrip k=', (ref.get(frozen)[0] as { k: string }).k);
    const c = lit.clone();
    lit.get_one_start(['partial']);
    say('clone has empty buffer: ', c.get_pending() !== undefined ? 'no' : 'yes', '; original pending -> ', show(lit.get_pending()));

    expect(out).toEqual(
      expectedLines(PROBE, {
        // G27, fixed on purpose (docs/differences.md): a CR ending one read and an LF starting
        // the next are one CRLF terminator, so there is no extra empty line.
        "Line default get(['a\\r']) then get(['\\nb\\n']) -> a then |b  (CR at end of a read ends the line; the LF in the next read yields an EMPTY line)":
          "Line default get(['a\\r']) then get(['\\nb\\n']) -> a then b  (CR at end of a read ends the line; the LF in the next read yields an EMPTY line)",
        // Storable's nfreeze of { k => 'v' } is 15 bytes; poe-ts's default serializer is JSON,
        // whose '{"k":"v"}' is 9. The framing (decimal length, NUL) is the same.
        'Reference put framing: length-prefix 15 + NUL; roundtrip k=v': 'Reference put framing: length-prefix 9 + NUL; roundtrip k=v',
      }),
    );
  });
});
