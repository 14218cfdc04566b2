/**
 * Type tests for the HTTPD filter's options (STYLE habit 4): `strict` is a boolean option and
 * does not change the record types. `npm run typecheck` checks every `@ts-expect-error` line.
 */
import { describe, expectTypeOf, test } from 'vitest';
import { HTTPD, type HTTPDOptions, type HTTPDRecord } from '../../src/index.js';

describe('HTTPDOptions', () => {
  test('strict is an optional boolean; the filter is the same class either way', () => {
    expectTypeOf<HTTPDOptions['strict']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf(new HTTPD({ strict: false })).toEqualTypeOf<HTTPD>();
    expectTypeOf(new HTTPD({ strict: false }).get([Buffer.alloc(0)])).toEqualTypeOf<HTTPDRecord[]>();
    expectTypeOf(new HTTPD().strict).toEqualTypeOf<boolean>();
    if (false as boolean) {
      // @ts-expect-error a string is not a boolean
      new HTTPD({ strict: 'no' });
      // @ts-expect-error POE's spelling is not an option name
      new HTTPD({ Strict: false });
    }
  });
});
