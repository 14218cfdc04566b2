/**
 * POE's snake_case method names on every wheel class and on the kernel's select calls: each
 * is the very same function as its camelCase method, on the prototype, not enumerable (as
 * the methods are), and no wheel has a snake_case name beyond POE's list here. The compile
 * time half (declared and installed lists agree) is Wheel.installAliases' AliasMap type.
 */
import { describe, expect, test } from 'vitest';
import { FollowTail, Kernel, ListenAccept, ReadLine, ReadWrite, Run, SocketFactory } from '../../src/index.js';

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** POE's method names, per class, that poe-ts spells in camelCase. */
const POE_NAMES: [string, object, string[]][] = [
  [
    'ReadWrite',
    ReadWrite.prototype,
    [
      'set_filter',
      'set_input_filter',
      'set_output_filter',
      'get_input_filter',
      'get_output_filter',
      'set_high_mark',
      'set_low_mark',
      'get_driver_out_octets',
      'get_driver_out_messages',
      'get_input_handle',
      'get_output_handle',
      'pause_input',
      'resume_input',
      'shutdown_input',
      'shutdown_output',
    ],
  ],
  [
    'Run',
    Run.prototype,
    [
      'get_stdin_filter',
      'get_stdout_filter',
      'get_stderr_filter',
      'set_stdio_filter',
      'set_stdin_filter',
      'set_stdout_filter',
      'set_stderr_filter',
      'pause_stdout',
      'resume_stdout',
      'pause_stderr',
      'resume_stderr',
      'shutdown_stdin',
      'get_driver_out_octets',
      'get_driver_out_messages',
    ],
  ],
  ['ReadLine', ReadLine.prototype, ['add_history', 'get_history', 'read_history', 'write_history', 'history_truncate_file', 'terminal_size']],
  ['SocketFactory', SocketFactory.prototype, ['pause_accept', 'resume_accept']],
  ['FollowTail', FollowTail.prototype, []],
  ['ListenAccept', ListenAccept.prototype, []],
];

describe.each(POE_NAMES)('%s', (_name, proto, names) => {
  test('each POE name is its camelCase method, not enumerable', () => {
    const seen = names.map((snake) => {
      const d = Object.getOwnPropertyDescriptor(proto, snake);
      return [snake, d?.value === (proto as Record<string, unknown>)[camel(snake)] && typeof d?.value === 'function', d?.enumerable, d?.writable];
    });
    expect(seen).toEqual(names.map((snake) => [snake, true, false, true]));
  });

  test('no other snake_case name', () => {
    const own = Object.getOwnPropertyNames(proto).filter((key) => /^[a-z]+(_[a-z]+)+$/.test(key));
    expect(own.sort()).toEqual([...names].sort());
  });
});

test("the kernel's select calls: camelCase methods with POE's names as the same functions", () => {
  const proto = Kernel.prototype as unknown as Record<string, unknown>;
  const names = ['select_read', 'select_write', 'select_pause_read', 'select_resume_read', 'select_pause_write', 'select_resume_write'];
  expect(names.map((snake) => [snake, typeof proto[camel(snake)], proto[snake] === proto[camel(snake)]])).toEqual(names.map((snake) => [snake, 'function', true]));
  expect(typeof proto.select).toBe('function');
});
