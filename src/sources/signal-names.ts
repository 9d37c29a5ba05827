/**
 * Signal names and numbers without importing `node:os` at load time: the main entry must load in
 * browsers and edge runtimes (SPEC §13), and only `withSignal` needs the table. On Node (≥ 20.16),
 * Bun and Deno `process.getBuiltinModule('node:os')` gives the platform's own table; elsewhere the
 * Linux numbering stands in (a signal source there can never fire anyway).
 */

/**
 * A signal name as Node spells it (`'SIGINT'`, `'SIGTERM'`...): the same union as `NodeJS.Signals`,
 * declared here so that the main entry's types compile without `@types/node`.
 * @example
 * ```ts
 * const stopOn: SignalName[] = ['SIGINT', 'SIGTERM'];
 * await Cancelable.withSignal(...stopOn).run((scope) => serve(scope.signal));
 * ```
 */
export type SignalName =
  | 'SIGABRT'
  | 'SIGALRM'
  | 'SIGBUS'
  | 'SIGCHLD'
  | 'SIGCONT'
  | 'SIGFPE'
  | 'SIGHUP'
  | 'SIGILL'
  | 'SIGINT'
  | 'SIGIO'
  | 'SIGIOT'
  | 'SIGKILL'
  | 'SIGPIPE'
  | 'SIGPOLL'
  | 'SIGPROF'
  | 'SIGPWR'
  | 'SIGQUIT'
  | 'SIGSEGV'
  | 'SIGSTKFLT'
  | 'SIGSTOP'
  | 'SIGSYS'
  | 'SIGTERM'
  | 'SIGTRAP'
  | 'SIGTSTP'
  | 'SIGTTIN'
  | 'SIGTTOU'
  | 'SIGUNUSED'
  | 'SIGURG'
  | 'SIGUSR1'
  | 'SIGUSR2'
  | 'SIGVTALRM'
  | 'SIGWINCH'
  | 'SIGXCPU'
  | 'SIGXFSZ'
  | 'SIGBREAK'
  | 'SIGLOST'
  | 'SIGINFO';

// Linux's numbering (os.constants.signals on x64/arm64), for runtimes without getBuiltinModule.
const LINUX_SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16,
  SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24,
  SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

interface OsModule {
  constants: { signals: Readonly<Record<string, number>> };
}

let table: Readonly<Record<string, number>> | undefined;

/** @internal This platform's signal numbers by name (`os.constants.signals`), read on first use. */
export function signalNumbers(): Readonly<Record<string, number>> {
  if (table === undefined) {
    const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const os = host?.getBuiltinModule?.('node:os') as OsModule | undefined;
    table = os?.constants?.signals ?? LINUX_SIGNALS;
  }
  return table;
}
