/**
 * The HTTP messages: HttpHeaders (POE's HTTP::Headers semantics), HttpRequest and
 * HttpResponse (HTTP::Request / HTTP::Response as a POE port uses them), and their shared
 * base HttpMessage (HTTP::Message).
 */
import { describe, expect, expectTypeOf, test } from 'vitest';
import { HttpHeaders, HttpMessage, HttpRequest, HttpResponse, PoeArgumentError, statusMessage } from '../../src/index.js';

describe('HttpHeaders', () => {
  test('lookups ignore case; repeats are kept and joined by ", "; order and spelling are kept', () => {
    const h = new HttpHeaders([
      ['Accept', 'a'],
      ['X-One', '1'],
      ['accept', 'b'],
    ]);
    expect(h.header('ACCEPT')).toBe('a, b');
    expect(h.headerValues('accept')).toEqual(['a', 'b']);
    expect(h.header('missing')).toBeUndefined();
    expect(h.has('x-one')).toBe(true);
    expect(h.size).toBe(3);
    expect(h.headerFieldNames()).toEqual(['Accept', 'X-One']);
    expect([...h]).toEqual([
      ['Accept', 'a'],
      ['X-One', '1'],
      ['accept', 'b'],
    ]);
    expect(h.raw()).toEqual(['Accept', 'a', 'X-One', '1', 'accept', 'b']);
  });

  test('header(name, value) replaces every line of that name and returns the old value', () => {
    const h = new HttpHeaders({ 'Set-Cookie': ['a=1', 'b=2'], Host: 'h' });
    expect(h.header('set-cookie', 'c=3')).toBe('a=1, b=2');
    expect(h.raw()).toEqual(['set-cookie', 'c=3', 'Host', 'h']);
    expect(h.header('X-N', 42)).toBeUndefined();
    expect(h.header('x-n')).toBe('42');
  });

  test('pushHeader, removeHeader, scan, clone, asString and the snake_case spellings', () => {
    const h = new HttpHeaders();
    h.pushHeader('A', '1');
    h.push_header('a', ['2', '3']);
    expect(h.headerValues('A')).toEqual(['1', '2', '3']);
    const copy = h.clone();
    expect(h.remove_header('A')).toEqual(['1', '2', '3']);
    expect(h.size).toBe(0);
    expect(copy.size).toBe(3);
    const seen: string[] = [];
    copy.scan((n, v) => seen.push(`${n}=${v}`));
    expect(seen).toEqual(['A=1', 'a=2', 'a=3']);
    expect(copy.asString('\r\n')).toBe('A: 1\r\na: 2\r\na: 3\r\n');
    expect(copy.as_string()).toBe('A: 1\na: 2\na: 3\n');
    expect(copy.header_field_names()).toEqual(['A']);
  });

  test('pushHeader with a bad value, alone or in a list, throws and stores nothing', () => {
    const h = new HttpHeaders({ A: '1' });
    expect(() => h.pushHeader('B', 'x\ny')).toThrow(/CR, LF or NUL/);
    expect(() => h.pushHeader('C', ['ok', 'x\ry'])).toThrow(/CR, LF or NUL/);
    h.pushHeader('D', '4');
    expect([...h]).toEqual([
      ['A', '1'],
      ['D', '4'],
    ]);
    expect(h.asString('\r\n')).toBe('A: 1\r\nD: 4\r\n');
  });

  test('names must be tokens; values must not hold CR, LF or NUL', () => {
    expect(() => new HttpHeaders({ 'Bad Name': 'x' })).toThrow(PoeArgumentError);
    expect(() => new HttpHeaders({ '': 'x' })).toThrow(PoeArgumentError);
    expect(() => new HttpHeaders({ X: 'a\nb' })).toThrow(/CR, LF or NUL/);
    expect(() => new HttpHeaders({ X: 'a\0b' })).toThrow(/CR, LF or NUL/);
    expect(() => new HttpHeaders({ X: {} as unknown as string })).toThrow(PoeArgumentError);
    expect(() => new HttpHeaders([['X']] as unknown as [string, string][])).toThrow(/\[name, value\] pair/);
  });
});

describe('HttpRequest', () => {
  test('HTTP::Request->new($method, $uri, $headers, $content)', () => {
    const r = new HttpRequest('POST', '/form', { 'Content-Type': 'application/json; charset=UTF-8' }, '{"a":"é"}');
    expect([r.method, r.uri, r.target, r.protocol]).toEqual(['POST', '/form', '/form', 'HTTP/1.1']);
    expect(r.contentType).toBe('application/json');
    expect(r.content).toEqual(Buffer.from('{"a":"é"}'));
    expect(r.contentText).toBe('{"a":"é"}');
    expect(r.contentLength).toBeUndefined();
    r.header('Content-Length', r.content.length);
    expect(r.contentLength).toBe(10);
    r.content = Buffer.from([1, 2]);
    expect(r.content).toEqual(Buffer.from([1, 2]));
    r.contentType = 'text/plain';
    expect(r.header('content-type')).toBe('text/plain');
    r.protocol = 'HTTP/1.0';
    expect([r.versionMajor, r.versionMinor]).toEqual([1, 0]);
    r.push_header('X', '1');
    r.pushHeader('X', '2');
    expect(r.header_field_names()).toEqual(['Content-Type', 'Content-Length', 'X']);
    expect(r.remove_header('x')).toEqual(['1', '2']);
    expect(r.removeHeader('content-length')).toEqual(['10']);
    expect(r.headerFieldNames()).toEqual(['Content-Type']);
  });

  test('arguments are checked', () => {
    expect(() => new HttpRequest('', '/')).toThrow(PoeArgumentError);
    expect(() => new HttpRequest('GET', 5 as unknown as string)).toThrow(/`uri`/);
    expect(() => new HttpRequest('GET', '/', undefined, 5 as unknown as string)).toThrow(/`content`/);
  });
});

describe('HttpResponse', () => {
  test('HTTP::Response->new($code, $message, $headers, $content); the message defaults to the standard one', () => {
    const r = new HttpResponse(404);
    expect([r.code, r.message, r.protocol, r.statusLine, r.content.length, r.closeConnection, r.request]).toEqual([404, 'Not Found', undefined, '404 Not Found', 0, false, undefined]);
    expect([r.isInfo, r.isSuccess, r.isRedirect, r.isError]).toEqual([false, false, false, true]);
    const ok = new HttpResponse(200, 'Fine', [['Content-Type', 'text/html; charset=utf-8']], 'body');
    expect([ok.message, ok.contentType, ok.contentText, ok.isSuccess]).toEqual(['Fine', 'text/html', 'body', true]);
    ok.contentType = 'text/plain';
    ok.content = 'é';
    expect([ok.header('Content-Type'), ok.content.length]).toEqual(['text/plain', 2]);
    expect(new HttpResponse().code).toBe(200);
    expect([new HttpResponse(101).isInfo, new HttpResponse(302).isRedirect]).toEqual([true, true]);
  });

  test('codes and messages are checked', () => {
    expect(() => new HttpResponse(99)).toThrow(/`code`/);
    expect(() => new HttpResponse(200.5)).toThrow(/`code`/);
    expect(() => new HttpResponse(200, 'OK\r\nX: y')).toThrow(/`message`/);
  });

  test('statusMessage is HTTP::Status::status_message', () => {
    expect([statusMessage(200), statusMessage(413), statusMessage(599)]).toEqual(['OK', 'Payload Too Large', undefined]);
  });
});

describe('HttpMessage', () => {
  test('HTTP::Message: requests and responses share headers, content and their accessors', () => {
    const label = (m: HttpMessage) => {
      m.pushHeader('X-Seen', '1');
      m.content = 'ok';
      return [m.protocol, m.header('x-seen'), m.contentText, m.headerFieldNames()];
    };
    const req = new HttpRequest('GET', '/');
    const res = new HttpResponse(200);
    expect([req instanceof HttpMessage, res instanceof HttpMessage]).toEqual([true, true]);
    expect([label(req), label(res)]).toEqual([
      ['HTTP/1.1', '1', 'ok', ['X-Seen']],
      [undefined, '1', 'ok', ['X-Seen']],
    ]);
    // One implementation, not two copies that could drift apart.
    for (const name of ['header', 'pushHeader', 'removeHeader', 'headerFieldNames', 'push_header', 'remove_header', 'header_field_names'] as const) {
      expect(HttpRequest.prototype[name]).toBe(HttpResponse.prototype[name]);
    }
  });

  test('types: each subclass keeps its own protocol type; the base is abstract', () => {
    expectTypeOf<HttpRequest['protocol']>().toEqualTypeOf<string>();
    expectTypeOf<HttpResponse['protocol']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<HttpMessage['protocol']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<HttpRequest>().toExtend<HttpMessage>();
    expectTypeOf<HttpResponse>().toExtend<HttpMessage>();
    // @ts-expect-error HttpMessage is abstract: a message is a request or a response
    const base = (): HttpMessage => new HttpMessage(undefined, undefined);
    expectTypeOf(base).returns.toEqualTypeOf<HttpMessage>();
  });
});
