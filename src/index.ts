/**
 * poe-ts: POE, Perl's session/wheel event framework, for TypeScript on Node.js.
 * Every public name is exported here; nothing else is public.
 */
import { Kernel } from './kernel/kernel.js';

export { Kernel } from './kernel/kernel.js';
export type { AlarmId, IntervalSpec, KernelRunOptions, RemovedAlarm } from './kernel/kernel.js';
export type { DieInfo, SessionReport } from './kernel/report.js';
export { formatPs } from './kernel/report.js';
export type { KernelOptions } from './kernel/options.js';
export { IdleHandle, TimerHandle } from './kernel/timer-handle.js';
export { SystemClock, ManualClock } from './kernel/clock.js';
export type { Clock, ClockTimer, ManualClockOptions } from './kernel/clock.js';
export { errno, errnoName } from './errno.js';
export type { ErrnoName } from './errno.js';
export { channels } from './kernel/trace.js';
export { Session } from './session/session.js';
export type { SessionId, SessionParams } from './session/session.js';
export { Context } from './session/context.js';
export type {
  AllEvents,
  AnonEvent,
  AnySignature,
  BuiltinEvents,
  ChildReason,
  EventArgs,
  EventName,
  EventReturn,
  Handler,
  InlineStates,
  SessionOrKernel,
  StartArgs,
  StatesList,
  Untyped,
} from './session/types.js';
export { PoeError, PoeArgumentError, PoeErrnoError, PoeSpawnError, PoeStallError, PoeWaitError } from './errors.js';
// POE::NFA: sessions as state machines
export { NFA } from './session/nfa.js';
export type { NfaParams } from './session/nfa.js';
export { NfaContext } from './session/nfa-context.js';
export type { EntryArgs, EntryEvent, MachineEvents, MachineStateName, NfaBuiltinEvents, NfaHandler, NfaInlineStates, NfaStatesLists, StateEvents } from './session/nfa-types.js';
export { PoeNfaError } from './errors.js';
export type { PoeErrorCode } from './errors.js';
export { PoeIkcError } from './errors.js';
export type { IkcErrorCode } from './errors.js';
// tasks and their primitives (Coro, AnyEvent)
export { Task, task, cede, current } from './task/task.js';
export type { TaskOptions } from './task/task.js';
export { Semaphore } from './task/semaphore.js';
export type { SemaphoreGuard, SemaphoreOptions } from './task/semaphore.js';
export { Channel } from './task/channel.js';
export type { ChannelOptions } from './task/channel.js';
export { CondVar } from './task/condvar.js';
export type { CondVarOptions } from './task/condvar.js';
export type { WaitOptions } from './task/wait.js';
// filters
export { FilterBase, FilterLimitError, isFilter } from './filter/filter.js';
export type { Filter } from './filter/filter.js';
export { Line } from './filter/line.js';
export type { LineEncoding, LineOptions } from './filter/line.js';
export { Stream } from './filter/stream.js';
export { Block } from './filter/block.js';
export type { BlockOptions, LengthCodec, LengthHeader } from './filter/block.js';
export { RecordBlock } from './filter/record-block.js';
export type { RecordBlockOptions } from './filter/record-block.js';
export { Grep } from './filter/grep.js';
export type { GrepModifyOptions, GrepOptions, GrepPredicate } from './filter/grep.js';
export { Map, Map as MapFilter, MapList } from './filter/map.js';
export type { MapCode, MapModifyOptions, MapOptions } from './filter/map.js';
export { Stackable } from './filter/stackable.js';
export type { StackableOptions } from './filter/stackable.js';
export { Reference } from './filter/reference.js';
export type { ReferenceOptions, ReferenceSerializer } from './filter/reference.js';
// end filters
// HTTP: the HTTPD filter and its messages
export { HTTPD } from './filter/httpd.js';
export type { HTTPDOptions, HTTPDRecord } from './filter/httpd.js';
export { HttpHeaders } from './http/headers.js';
export type { HeaderValue, HeadersInit } from './http/headers.js';
export { HttpMessage } from './http/message.js';
export type { ContentInit } from './http/message.js';
export { HttpRequest } from './http/request.js';
export { HttpResponse, statusMessage } from './http/response.js';
// end HTTP
// drivers, ReadWrite
export { StreamDriver } from './driver/stream.js';
export type { StreamDriverOptions } from './driver/stream.js';
export type { Driver, DriverReadSink, DriverWatch, DriverWriteSink, DuplexHandle, InputHandle, OutputHandle, Soon } from './driver/driver.js';
export { duplexPair } from './driver/duplex-pair.js';
export { fileno } from './driver/fileno.js';
export type { DuplexEnd, DuplexPairOptions } from './driver/duplex-pair.js';
export { ReadWrite } from './wheel/read-write.js';
export type { ReadWriteErrorArgs, ReadWriteEventNames, ReadWriteIdArgs, ReadWriteInputArgs, ReadWriteOptions } from './wheel/read-write.js';
// end drivers, ReadWrite
// wheels: FollowTail, ReadLine, raw stream watchers
export { FollowTail } from './wheel/follow-tail.js';
export type { FollowTailEvents, FollowTailOptions, FollowTailStream } from './wheel/follow-tail.js';
export { ReadLine } from './wheel/read-line.js';
export type { PutMode, ReadLineException, ReadLineOptions } from './wheel/read-line.js';
export {
  SELECT_READ,
  SELECT_WRITE,
  select,
  selectPauseRead,
  selectPauseWrite,
  selectRead,
  selectResumeRead,
  selectResumeWrite,
  selectWrite,
  select_pause_read,
  select_pause_write,
  select_read,
  select_resume_read,
  select_resume_write,
  select_write,
} from './wheel/select.js';
// end FollowTail, ReadLine, raw stream watchers
// wheels: SocketFactory, ListenAccept
export { SocketFactory } from './wheel/socket-factory.js';
export type { SocketDomain, SocketFactoryFailureArgs, SocketFactoryOptions, SocketFactorySuccessArgs, SocketName, SocketProtocol, SocketType } from './wheel/socket-factory.js';
export { ListenAccept } from './wheel/listen-accept.js';
export type { ListenAcceptAcceptArgs, ListenAcceptErrorArgs, ListenAcceptOptions } from './wheel/listen-accept.js';
export { inetAton, inetNtoa } from './wheel/address.js';
export { records } from './wheel/records.js';
export type { RecordsOptions } from './wheel/records.js';
export { strerror } from './errno.js';
// end SocketFactory, ListenAccept
// TLS for SocketFactory, Server::TCP, Client::TCP (POE::Component::SSLify)
export type { TlsConnectOptions, TlsListenOptions } from './wheel/tls.js';
// end TLS
// wheels: Run
export { Run } from './wheel/run.js';
export type { RunErrorArgs, RunEventNames, RunHandleName, RunIdArgs, RunModuleProgram, RunOptions, RunOutputArgs, RunProgram, RunRedirect } from './wheel/run.js';
// end Run
// components: Server::TCP, Client::TCP
export { ServerTCP } from './component/server-tcp.js';
export type {
  ServerTCPClientContext,
  ServerTCPClientHeap,
  ServerTCPConnectedHeap,
  ServerTCPListenerContext,
  ServerTCPListenerHeap,
  ServerTCPOptions,
} from './component/server-tcp.js';
export { ClientTCP } from './component/client-tcp.js';
export type { ClientTCPConnectedContext, ClientTCPConnectedHeap, ClientTCPContext, ClientTCPHeap, ClientTCPOptions } from './component/client-tcp.js';
export type { FilterClass, FilterSpec } from './component/options.js';
export type { WheelId, WheelOwner } from './wheel/wheel.js';
// end components
// components: Resolver (Client::DNS)
export { Function, DetachedCode } from './pool/function.js';
export type { FunctionOptions, FunctionWorkers, DetachedCodeOptions, FunctionCallFields, FunctionEventCall, FunctionReturnCall, FunctionResultCall, FunctionPromiseCall } from './pool/function.js';
export { Resolver } from './component/resolver.js';
// an EventEmitter face for code outside sessions
export { PoeEmitter } from './session/emitter.js';
export type { EmitterEvents, PoeEmitterOptions } from './session/emitter.js';
export type {
  ResolverAnswers,
  ResolverEventRequest,
  ResolverOptions,
  ResolverPromiseRequest,
  ResolverRequestFields,
  ResolverRequestId,
  ResolverResponse,
  ResolverType,
} from './component/resolver.js';
// end Resolver
// components: JobQueue (POE::Component::JobQueue)
export { JobQueue } from './component/job-queue.js';
export type {
  ActiveJobQueue,
  JobMetaPostback,
  JobPostback,
  JobQueueActiveOptions,
  JobQueueActiveSpawnOptions,
  JobQueueActiveWorker,
  JobQueueCommonOptions,
  JobQueuePassiveOptions,
  JobQueuePassiveSpawnOptions,
  JobQueuePassiveWorker,
} from './component/job-queue.js';
// end JobQueue
// components: ClientHTTP (Client::HTTP over Client::Keepalive, on undici)
export { ClientHTTP } from './component/client-http.js';
export type {
  ClientHTTPEvents,
  ClientHTTPOptions,
  ClientHTTPProgressHandler,
  ClientHTTPProgressPacket,
  ClientHTTPProxy,
  ClientHTTPRequestOptions,
  ClientHTTPRequestPacket,
  ClientHTTPResponseHandler,
  ClientHTTPResponsePacket,
  ClientHTTPTlsOptions,
} from './component/client-http.js';
// end ClientHTTP
// components: SimpleHTTP (Server::SimpleHTTP)
export { SimpleHTTP, SimpleHTTPConnection, SimpleHTTPResponse } from './component/simple-http.js';
export type { SimpleHTTPEvents, SimpleHTTPHandler, SimpleHTTPHandlerArgs, SimpleHTTPNotify, SimpleHTTPOptions, SimpleHTTPStreamOptions } from './component/simple-http.js';
// end SimpleHTTP
// threads (Perl's threads, Thread::Queue, Thread::Semaphore, threads::shared)
export { Thread, threads } from './threads/threads.js';
export type { CurrentThread, ThreadListState, ThreadSpec } from './threads/threads.js';
export { Queue, SharedArray, SharedSemaphore } from './threads/shared.js';
export type { QueueOptions, SharedArrayType, SharedLockGuard } from './threads/shared.js';
// end threads
// inter-kernel communication (POE::Component::IKC)
export { Responder } from './ikc/responder.js';
export type { MonitorEvents, ResponderOptions } from './ikc/responder.js';
export { RemoteSession, remote, parseAddress, formatAddress } from './ikc/address.js';
export type { Address } from './ikc/address.js';
export type { RemoteTarget } from './kernel/remote.js';
export type { Transport, TransportSink } from './ikc/transport.js';
export { InProcessTransport } from './ikc/in-process.js';
export { ThreadTransport } from './ikc/thread.js';
export { ForkTransport } from './ikc/fork.js';
export type { ThreadEndpoint } from './ikc/thread.js';
export { checkSendable, decodeBatch, encodeBatch, frameBytes } from './ikc/codec.js';
// end IKC

/**
 * The process's default kernel, shared by the ESM and CJS builds of poe-ts.
 * POE: `$poe_kernel` / `POE::Kernel`.
 */
export const poeKernel: Kernel = Kernel.default;
export { TcpTransport, listenTcp, TCP_MAX_BATCH, type TcpTransportOptions, type TcpListenOptions, type TcpListener, type TcpRefusal } from './ikc/tcp.js';
export { NatsIkc, subjectToken } from './ikc/nats.js';
export type { NatsIkcOptions, NatsTlsOptions } from './ikc/nats.js';
