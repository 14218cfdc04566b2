/**
 * The test kit, one import for every test: kernels with an ordered log and a leak check, and
 * handlers that log a session's events in one form (kernel.ts), fixtures and built samples as
 * real processes, and the build they need (process.ts), sockets (net.ts), and POE's recorded
 * probe output (probe.ts), certificates made at test time for TLS (tls.ts).
 */
export * from './kernel.js';
export * from './net.js';
export * from './probe.js';
export * from './process.js';
export * from './tls.js';
