// Types of delay_dns_server.mjs, for the tests that start it in-process.
import type { Socket } from 'node:dgram';

export interface ResponderStats {
  received: number;
  served: number;
  inFlight: number;
  maxInFlight: number;
  /** With `log: true`: each query in arrival order, the name as sent. */
  queries: { name: string; type: string }[];
}

export interface ResponderOptions {
  host?: string;
  port?: number;
  delayMs?: number;
  zones?: string[];
  records?: Record<string, Record<string, unknown[]>>;
  log?: boolean;
}

export interface Responder {
  host: string;
  port: number;
  stats: ResponderStats;
  close: () => Promise<void>;
  socket: Socket;
}

export function startResponder(options?: ResponderOptions): Promise<Responder>;
