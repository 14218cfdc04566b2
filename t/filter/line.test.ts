/**
 * Line filter (spec 3.1; POE t/10_units/05_filters/04_line.t; probe 17 in t/conformance).
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { FilterLimitError, Line, PoeArgumentError } from '../../src/index.js';
import { filterConformance } from './harness.js';

const MiB = 1024 * 1024;

filterConformance('Line', [
  {
    name: 'default terminators (CRLF, LFCR, CR, LF)',
    make: () => new Line(),
    // "\r\n" split across chunks must not give an extra empty line (G27, fixed).
    input: 'one\r\ntwo\n\rthree\rfour\nfive\r\n\r\nsix\nseven\r\r\neight\n',
    expected: ['one', 'two', 'three', 'four', 'five', '', 'six', 'seven', '', 'eight'],
    roundTrip: ['x', 'y', '', 'h\u00e9llo'],
    partial: { input: 'abc', pending: ['abc'], rest: 'def\r\n', records: ['abcdef'] },
  },
  {
    name: 'default terminators, input ending in a lone CR',
    make: () => new Line(),
    input: 'a\rb\n\r\rc\r',
    expected: ['a', 'b', '', 'c'],
    roundTrip: ['p', 'q'],
  },
  {
    name: 'literal "\\n"',
    make: () => new Line({ literal: '\n' }),
    input: 'a\r\nb\n\nc\n',
    expected: ['a\r', 'b', '', 'c'],
    roundTrip: ['x', 'y\r', ''],
    partial: { input: 'xy', pending: ['xy'], rest: 'z\n', records: ['xyz'] },
  },
  {
    name: 'multi-byte literal',
    make: () => new Line({ literal: '<EOL>' }),
    input: 'one<EOL>two<EOL><EOL>th<EO<EOL>',
    expected: ['one', 'two', '', 'th<EO'],
    roundTrip: ['a', 'b<EO', ''],
    partial: { input: 'ab<EO', pending: ['ab<EO'], rest: 'L>', records: ['ab'] },
  },
  {
    name: 'inputLiteral with outputLiteral',
    make: () => new Line({ inputLiteral: '\r\n', outputLiteral: '\r\n' }),
    input: 'a\nb\r\nc\r\r\n',
    expected: ['a\nb', 'c\r'],
    roundTrip: ['x', 'y\n'],
    pendingAfterInput: undefined,
  },
  {
    name: 'autodetect settles on CRLF',
    make: () => new Line({ inputLiteral: '' }),
    input: 'a\r\nb\r\nc\nd\r\n',
    expected: ['a', 'b', 'c\nd'],
    roundTrip: ['x', 'y'],
    partial: { input: 'abc', pending: ['abc'], rest: 'd\r\n', records: ['abcd'] },
  },
  {
    name: 'autodetect settles on LF',
    make: () => new Line({ inputLiteral: null, outputLiteral: '\n' }),
    input: 'a\nb\rc\n\n',
    expected: ['a', 'b\rc', ''],
    roundTrip: ['x', 'y\r'],
  },
  {
    name: 'autodetect settles on CR (the byte after it is not LF)',
    make: () => new Line({ inputLiteral: '', outputLiteral: '\r' }),
    input: 'a\rb\nc\r\r',
    expected: ['a', 'b\nc', ''],
    roundTrip: ['x', 'y\n'],
  },
  {
    name: 'inputRegexp [;,]',
    make: () => new Line({ inputRegexp: /[;,]/, outputLiteral: ';' }),
    input: 'a;b,c;;',
    expected: ['a', 'b', 'c', ''],
    roundTrip: ['x', 'y'],
    partial: { input: 'ab', pending: ['ab'], rest: ',', records: ['ab'] },
  },
  {
    name: 'inputRegexp spanning chunks, as a string',
    make: () => new Line({ inputRegexp: '\\r?\\n|<BR>', outputLiteral: '<BR>' }),
    input: 'a\r\nb<BR>c\nd<BR><BR>e<B\n',
    expected: ['a', 'b', 'c', 'd', '', 'e<B'],
    roundTrip: ['x', 'y<B', ''],
    partial: { input: 'ab<B', pending: ['ab<B'], rest: 'R>', records: ['ab'] },
  },
  {
    name: 'UTF-8 records, multi-byte characters split by chunking',
    make: () => new Line(),
    input: Buffer.from('h\u00e9llo w\u00f6rld\n\u20ac uro\r\n\u{1f600}\n', 'utf8'),
    expected: ['h\u00e9llo w\u00f6rld', '\u20ac uro', '\u{1f600}'],
    roundTrip: ['\u00e9', '\u{1f600}x'],
  },
  {
    name: 'latin1 records',
    make: () => new Line({ encoding: 'latin1', literal: '\n' }),
    input: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xff, 0x0a]),
    expected: ['caf\u00e9', '\u00ff'],
    roundTrip: ['caf\u00e9'],
  },
  {
    name: 'Buffer records (encoding: null)',
    make: () => new Line<Buffer>({ encoding: null }),
    input: Buffer.from([0xff, 0x0a, 0x00, 0x0d, 0x0a, 0xc3, 0x0d]),
    expected: [Buffer.from([0xff]), Buffer.from([0x00]), Buffer.from([0xc3])],
    roundTrip: [Buffer.from([0x00, 0xfe]), Buffer.alloc(0)],
    partial: { input: Buffer.from([0x80, 0x81]), pending: [Buffer.from([0x80, 0x81])], rest: '\n', records: [Buffer.from([0x80, 0x81])] },
  },
]);

describe('Line', () => {
  test('POE defaults: output CRLF, 64 MiB maxLength, 512 MiB maxBuffer, utf8', () => {
    const l = new Line();
    expect(l.put(['x', 'y']).map(String)).toEqual(['x\r\n', 'y\r\n']);
    expect(l.maxLength).toBe(64 * MiB);
    expect(l.maxBuffer).toBe(512 * MiB);
    expect(l.encoding).toBe('utf8');
    expect(l.getPending()).toBeUndefined();
  });

  test('put returns one chunk per record: a string for text in UTF-8 (as POE returns strings), a Buffer for a Buffer record or another encoding', () => {
    expect(new Line({ outputLiteral: '\n' }).put(['a', Buffer.from('b'), 'é'])).toEqual(['a\n', Buffer.from('b\n'), 'é\n']);
    expect(new Line({ outputLiteral: '\n', encoding: 'latin1' }).put(['é'])).toEqual([Buffer.from([0xe9, 0x0a])]);
  });

  test('G27 fixed: a CR ending one read and the LF starting the next make one terminator', () => {
    const l = new Line();
    expect(l.get(['a\r'])).toEqual(['a']);
    expect(l.get(['\nb\n'])).toEqual(['b']);
    // LF then CR is one terminator too (LFCR).
    expect(l.get(['c\n'])).toEqual(['c']);
    expect(l.get(['\rd\n'])).toEqual(['d']);
    // CR then CR is two terminators: the second ends an empty line.
    expect(l.get(['e\r'])).toEqual(['e']);
    expect(l.get(['\rf\n'])).toEqual(['', 'f']);
    // An empty get in between does not settle the pending CR.
    expect(l.get(['g\r'])).toEqual(['g']);
    expect(l.get([])).toEqual([]);
    expect(l.get(['\n'])).toEqual([]);
    expect(l.getPending()).toBeUndefined();
  });

  test('autodetection: probe 17 ("a\\r" then "\\nb\\r\\nc\\n" gives b, c\\n pending)', () => {
    const auto = new Line({ inputLiteral: null });
    expect(auto.get(['a\r'])).toEqual(['a']);
    expect(auto.get(['\nb\r\nc\n'])).toEqual(['b']);
    expect(auto.getPending()?.map(String)).toEqual(['c\n']);
  });

  test('chunks may be strings, Buffers or Uint8Arrays', () => {
    const l = new Line({ literal: '\n' });
    expect(l.get(['a', Buffer.from('b'), new Uint8Array([0x63, 0x0a])])).toEqual(['abc']);
  });

  test('a complete line over maxLength throws FilterLimitError and is dropped; the next line still parses', () => {
    const l = new Line({ maxLength: 4 });
    let err: unknown;
    try {
      l.get(['abcdefgh\nok\n']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterLimitError);
    expect(err).toMatchObject({ code: 'ERR_POE_FILTER_LIMIT', limit: 'maxLength', size: 8, max: 4 });
    expect(l.get([])).toEqual(['ok']);
    expect(new Line({ maxLength: 4 }).get(['abcd\n'])).toEqual(['abcd']);
  });

  test('maxBuffer: getOneStart throws before buffering', () => {
    const l = new Line({ maxLength: 10, maxBuffer: 20 });
    l.getOneStart(['0123456789']);
    expect(() => l.getOneStart(['0123456789x'])).toThrow(FilterLimitError);
    expect(() => l.getOneStart(['0123456789x'])).toThrow(/maxBuffer exceeded \(21 > 20\)/);
    expect(l.getPending()?.map(String)).toEqual(['0123456789']);
  });

  describe('maxLength without a terminator throws as soon as the buffer passes it', () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const stream100MB = 100 * 1000 * 1000;

    const feedUntilThrow = (l: Line, max: number): { chunks: number; error: unknown; growth: number } => {
      const before = process.memoryUsage().arrayBuffers;
      let peak = before;
      let fed = 0;
      let chunks = 0;
      let error: unknown;
      while (fed < max) {
        chunks++;
        fed += chunk.length;
        try {
          l.get([chunk]);
        } catch (e) {
          error = e;
          break;
        }
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      }
      return { chunks, error, growth: peak - before };
    };

    for (const [name, make, limitAfter] of [
      ['default terminators', () => new Line({ maxLength: MiB }), MiB],
      ['literal', () => new Line({ literal: '\r\n', maxLength: MiB }), MiB + 1],
      ['autodetect', () => new Line({ inputLiteral: '', maxLength: MiB }), MiB],
      ['regexp', () => new Line({ inputRegexp: /\r?\n/, maxLength: MiB }), MiB + 256],
    ] as const) {
      test(`${name}: a 100 MB line in 64 KiB chunks stops at 1 MiB with bounded memory`, () => {
        const { chunks, error, growth } = feedUntilThrow(make(), stream100MB);
        expect(error).toBeInstanceOf(FilterLimitError);
        expect(error).toMatchObject({ code: 'ERR_POE_FILTER_LIMIT', limit: 'maxLength', max: MiB });
        // The first chunk that takes the line past the limit throws.
        expect(chunks).toBe(Math.floor(limitAfter / chunk.length) + 1);
        expect(growth).toBeLessThan(8 * MiB);
      });
    }

    test('the default limit is 64 MiB', () => {
      const { chunks, error, growth } = feedUntilThrow(new Line(), stream100MB);
      expect(error).toBeInstanceOf(FilterLimitError);
      expect(error).toMatchObject({ limit: 'maxLength', max: 64 * MiB, size: 64 * MiB + chunk.length });
      expect(chunks).toBe(64 * 16 + 1);
      expect(growth).toBeLessThan(200 * MiB);
    });
  });

  describe('linear scanning: each byte is searched a bounded number of times', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** Counts the bytes Buffer#indexOf calls scan (up to the match, or to the end). */
    const countIndexOf = () => {
      const original = Buffer.prototype.indexOf;
      let scanned = 0;
      vi.spyOn(Buffer.prototype, 'indexOf').mockImplementation(function (this: Buffer, ...args: unknown[]) {
        const [value, byteOffset] = args as [number | Buffer, number | undefined];
        const from = typeof byteOffset === 'number' ? byteOffset : 0;
        const at = original.call(this, value, from);
        scanned += (at < 0 ? this.length : at + 1) - from;
        return at;
      });
      return () => scanned;
    };

    const lineLength = 100_000;
    const oneByteChunks = (l: Line, text: string) => {
      const out: unknown[] = [];
      for (let i = 0; i < text.length; i++) out.push(...l.get([text[i]]));
      return out;
    };

    test('default terminators, 1-byte chunks of a 100 kB line', () => {
      const scanned = countIndexOf();
      const out = oneByteChunks(new Line(), `${'x'.repeat(lineLength)}\n`);
      expect(out).toEqual(['x'.repeat(lineLength)]);
      expect(scanned()).toBeLessThan(3 * lineLength);
    });

    test('multi-byte literal, 1-byte chunks of a 100 kB line', () => {
      const scanned = countIndexOf();
      const out = oneByteChunks(new Line({ literal: '\r\n' }), `${'x'.repeat(lineLength)}\r\n`);
      expect(out).toEqual(['x'.repeat(lineLength)]);
      expect(scanned()).toBeLessThan(3 * lineLength);
    });

    test('many lines in one chunk: each get_one searches on from the last line', () => {
      const scanned = countIndexOf();
      const text = 'ab\n'.repeat(20_000);
      expect(new Line().get([text])).toHaveLength(20_000);
      expect(scanned()).toBeLessThan(3 * text.length);
    });

    test('regexp, 1-byte chunks of a 100 kB line', () => {
      const originalExec = RegExp.prototype.exec;
      let scanned = 0;
      vi.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, s: string) {
        const from = this.lastIndex;
        const m = originalExec.call(this, s);
        scanned += (m === null ? s.length : m.index + m[0].length) - from;
        return m;
      });
      const out = oneByteChunks(new Line({ inputRegexp: /\r?\n/ }), `${'x'.repeat(lineLength)}\n`);
      expect(out).toEqual(['x'.repeat(lineLength)]);
      // At most the 256-byte window plus the new byte per chunk.
      expect(scanned).toBeLessThan(260 * lineLength);
    });

    test('regexp, many lines in one chunk', () => {
      const originalExec = RegExp.prototype.exec;
      let scanned = 0;
      vi.spyOn(RegExp.prototype, 'exec').mockImplementation(function (this: RegExp, s: string) {
        const from = this.lastIndex;
        const m = originalExec.call(this, s);
        scanned += (m === null ? s.length : m.index + m[0].length) - from;
        return m;
      });
      const text = 'ab;'.repeat(20_000);
      expect(new Line({ inputRegexp: ';' }).get([text])).toHaveLength(20_000);
      expect(scanned).toBeLessThan(2 * text.length);
      expect(scanned).toBeGreaterThan(0);
    });
  });

  describe('options', () => {
    const bad = (options: unknown, message: RegExp | string) => {
      let err: unknown;
      try {
        new Line(options as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PoeArgumentError);
      expect((err as Error).message).toMatch(message);
    };

    test('POE PascalCase keys get a hint; unknown keys are rejected', () => {
      bad({ Literal: '\n' }, 'Unknown Line option `Literal`; did you mean `literal`?');
      bad({ MaxLength: 5 }, /did you mean `maxLength`\?/);
      bad({ InputRegexp: /x/ }, /did you mean `inputRegexp`\?/);
      bad({ terminator: '\n' }, /Unknown Line option `terminator`; expected one of/);
      expect(() => new Line({ Literal: '\n' } as never)).toThrow(expect.objectContaining({ code: 'ERR_POE_UNKNOWN_OPTION' }));
    });

    test('one message per bad option', () => {
      bad({ maxLength: -1 }, 'Expected `maxLength` to be a positive integer, got `-1` (number)');
      bad({ maxBuffer: 1.5 }, 'Expected `maxBuffer` to be a positive integer, got `1.5` (number)');
      bad({ maxLength: '10' }, 'Expected `maxLength` to be a positive integer, got `"10"` (string)');
      bad({ encoding: 'utf16le' }, /Expected `encoding` to be one of 'utf8', .* or null, got `"utf16le"` \(string\)/);
      bad({ literal: 5 }, 'Expected `literal` to be a string, got `5` (number)');
      bad({ outputLiteral: null }, 'Expected `outputLiteral` to be a string, got `null` (null)');
      bad({ inputLiteral: 7 }, 'Expected `inputLiteral` to be a string or null, got `7` (number)');
      bad({ inputRegexp: 7 }, 'Expected `inputRegexp` to be a RegExp or a string, got `7` (number)');
      bad({ inputRegexp: '(' }, /Expected `inputRegexp` to be a valid regular expression/);
      bad('x', 'Expected Line options to be an object, got `"x"` (string)');
    });

    test('conflicting options', () => {
      bad({ literal: '\n', inputRegexp: /x/ }, 'Line: `literal` sets both terminators and cannot be combined with `inputRegexp`');
      bad({ literal: '\n', outputLiteral: '\n' }, /cannot be combined with `outputLiteral`/);
      bad({ literal: '\n', inputLiteral: null }, /cannot be combined with `inputLiteral`/);
      bad({ literal: '' }, 'Line: `literal` must not be empty');
      bad({ inputLiteral: '\n', inputRegexp: /x/ }, 'Line: `inputLiteral` and `inputRegexp` cannot be used together');
      bad({ maxLength: 10, maxBuffer: 5 }, 'Line: `maxBuffer` (5) must be at least `maxLength` (10)');
      bad({ inputRegexp: /x*/ }, /`inputRegexp` must not match the empty string/);
    });

    test('chunks and records must be Buffers or strings, in arrays', () => {
      expect(() => new Line().get([5])).toThrow('Expected a Line chunk to be a Buffer or a string, got `5` (number)');
      expect(() => new Line().get('a\n' as never)).toThrow('Expected Line chunks to be an array, got `"a\\n"` (string)');
      expect(() => new Line().put([{}] as never)).toThrow(PoeArgumentError);
    });

    test('regexp flags other than g and y are kept', () => {
      expect(new Line({ inputRegexp: /x/i }).get(['aXbxc'])).toEqual(['a', 'b']);
      expect(new Line({ inputRegexp: /;/gy }).get(['a;b;c'])).toEqual(['a', 'b']);
    });

    test('clone keeps the configuration, not autodetection state', () => {
      const auto = new Line({ inputLiteral: '', maxLength: 100 });
      expect(auto.get(['a\r\n'])).toEqual(['a']);
      const copy = auto.clone();
      expect(copy.maxLength).toBe(100);
      // The copy autodetects afresh: LF this time.
      expect(copy.get(['b\nc\n'])).toEqual(['b', 'c']);
      expect(auto.get(['b\nc\n'])).toEqual([]);
    });
  });
});
