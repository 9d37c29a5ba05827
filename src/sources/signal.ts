import type { CancelableOptions } from '../core/index.js';
import { log, reportSourceError } from '../core/diagnostics.js';
import type { CancelationInit } from '../core/errors.js';
import { kFire, MultiSource, type SourceTarget } from '../core/source.js';
import { checkKnownKeys, checkOptions, describeValue } from '../core/validate.js';
import { subscribeSignal } from './signal-hub.js';
import { signalNumbers, type SignalName } from './signal-names.js';

/** Options of {@link SignalSource}. */
export interface SignalSourceOptions {
  /** A name for reports. Default `signal(<names>)`. */
  name?: string;
  /**
   * Force the process to exit when one of the signals arrives again while the scope it cancelled is
   * still ending (a cleanup that hangs, a shield that never finishes). The exit code is the
   * conventional `128 + signal number` (130 for `SIGINT`, 143 for `SIGTERM`), through
   * `process.exit()`. Default `false`: later signals are ignored until the scope ends, after which
   * Node's default behaviour is back.
   */
  exitOnSecondSignal?: boolean;
}

/** What {@link SignalSource} takes: signal names, then optionally an options object. */
export type SignalSourceArgs = SignalName[] | [...SignalName[], SignalSourceOptions];

/** The trailing options of `Cancelable.withSignal`: the scope's options plus `exitOnSecondSignal`. */
export type WithSignalOptions = CancelableOptions & Pick<SignalSourceOptions, 'exitOnSecondSignal'>;

/** What `Cancelable.withSignal` takes: signal names, then optionally an options object. */
export type WithSignalArgs = SignalName[] | [...SignalName[], WithSignalOptions];

/**
 * The signals that can cancel a scope: those whose meaning is "stop what you are doing". `SIGINT`
 * (Ctrl+C), `SIGTERM` (kill, systemd, Docker, Kubernetes), `SIGHUP` (terminal closed; many daemons
 * also use it to reload), `SIGQUIT` (Ctrl+\), `SIGBREAK` (Ctrl+Break on Windows), `SIGUSR2` (free for
 * the application; `SIGUSR1` starts Node's inspector), `SIGXCPU` (the CPU-time soft limit was reached:
 * the hard limit's SIGKILL follows) and `SIGPWR` (power failure: the host is shutting down). The
 * others are refused: `SIGKILL`/`SIGSTOP` cannot be caught; `SIGSEGV`/`SIGBUS`/`SIGFPE`/`SIGILL`/
 * `SIGABRT`/`SIGTRAP`/`SIGSYS` report a fault JavaScript cannot recover from; `SIGCHLD`, `SIGWINCH`,
 * `SIGCONT`, `SIGURG`, `SIGIO` are notifications the OS sends in normal operation (a child exited, the
 * window was resized...); `SIGTSTP`/`SIGTTIN`/`SIGTTOU` are job control; `SIGPIPE`, `SIGALRM`,
 * `SIGVTALRM`, `SIGPROF` belong to the runtime and libraries; `SIGUSR1` is Node's inspector.
 */
export const CANCEL_SIGNALS: readonly NodeJS.Signals[] = Object.freeze([
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGBREAK',
  'SIGUSR2',
  'SIGXCPU',
  'SIGPWR',
] as NodeJS.Signals[]);
const ACCEPTED: ReadonlySet<string> = new Set(CANCEL_SIGNALS);
const signalSourceKeys: ReadonlySet<string> = new Set(['name', 'exitOnSecondSignal']);
// A process cannot catch these at all.
const UNCATCHABLE: ReadonlySet<string> = new Set(['SIGKILL', 'SIGSTOP']);
// Faults: Node documents that JS listeners for these are unsafe when the signal is real (the process may hang).
const UNSAFE: ReadonlySet<string> = new Set(['SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGILL', 'SIGABRT', 'SIGTRAP', 'SIGSYS']);
// What Windows delivers to a Node process and means "stop" (Ctrl+C, Ctrl+Break, console closed).
const WINDOWS: ReadonlySet<string> = new Set(['SIGINT', 'SIGBREAK', 'SIGHUP']);

/** The signals listened to when none are given: `SIGINT` + `SIGTERM` (`SIGINT` + `SIGBREAK` on Windows). */
export function defaultSignals(platform: string = process.platform): SignalName[] {
  return platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM'];
}

/**
 * @internal Checks that `value` names a signal this process can receive and handle on `platform`;
 * throws a TypeError (not a string) or RangeError (unknown, uncatchable, or never delivered here).
 */
export function checkSignalName(
  param: string,
  value: unknown,
  platform: string = process.platform,
): SignalName {
  if (typeof value !== 'string') {
    throw new TypeError(`${param} must be a signal name such as 'SIGINT' or 'SIGTERM', got ${describeValue(value)}`);
  }
  if (!Object.hasOwn(signalNumbers(), value)) {
    const upper = value.toUpperCase();
    const guess = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const hint = Object.hasOwn(signalNumbers(), guess) ? `; did you mean '${guess}'?` : '';
    throw new RangeError(`${param} must be a signal name known to this platform (os.constants.signals), got ${describeValue(value)}${hint}`);
  }
  if (UNCATCHABLE.has(value)) {
    throw new RangeError(`${param}: ${value} cannot be caught by a process, so it cannot cancel a scope`);
  }
  if (UNSAFE.has(value)) {
    throw new RangeError(`${param}: ${value} cannot be handled safely from JavaScript; listen to SIGINT or SIGTERM instead`);
  }
  if (platform === 'win32' && !WINDOWS.has(value)) {
    throw new RangeError(`${param}: ${value} is never delivered on Windows as a request to stop; use SIGINT, SIGBREAK or SIGHUP`);
  }
  if (!ACCEPTED.has(value)) {
    const accepted = CANCEL_SIGNALS.filter((name) => Object.hasOwn(signalNumbers(), name)).join(', ');
    throw new RangeError(
      `${param}: ${value} does not ask a process to stop (${signalRole(value)}), so it cannot cancel a scope; use one of ${accepted}`,
    );
  }
  return value as SignalName;
}

/** Why a signal outside {@link CANCEL_SIGNALS} is refused, for the error message. */
function signalRole(name: string): string {
  switch (name) {
    case 'SIGUSR1':
      return "Node's inspector uses it";
    case 'SIGCHLD':
    case 'SIGCLD':
    case 'SIGWINCH':
    case 'SIGCONT':
    case 'SIGURG':
    case 'SIGIO':
    case 'SIGPOLL':
    case 'SIGINFO':
      return 'the OS sends it in normal operation';
    case 'SIGTSTP':
    case 'SIGTTIN':
    case 'SIGTTOU':
      return 'it is job control';
    default:
      return 'the runtime or libraries use it';
  }
}

/** Splits `(...names, options?)` and checks the names. Duplicates are dropped. */
function parseSignalArgs(
  args: readonly unknown[],
  platform: string,
): { signals: SignalName[]; options: Record<string, unknown> | undefined } {
  let end = args.length;
  let options: Record<string, unknown> | undefined;
  const last = args[end - 1];
  if (end > 0 && typeof last === 'object' && last !== null && !Array.isArray(last)) {
    options = last as Record<string, unknown>;
    end--;
  }
  if (end === 0) return { signals: defaultSignals(platform), options };
  const signals: SignalName[] = [];
  for (let i = 0; i < end; i++) {
    const signal = checkSignalName(`signals[${i}]`, args[i], platform);
    if (!signals.includes(signal)) signals.push(signal);
  }
  return { signals, options };
}

function checkExitOption(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new TypeError(`options.exitOnSecondSignal must be a boolean, got ${describeValue(value)}`);
  }
  return value;
}

interface SignalActivation {
  /** Whether a signal already fired this activation (a later one may force the exit). */
  fired: boolean;
  readonly offs: (() => void)[];
}

/**
 * Cancels the scope when the process receives one of the given signals (default `SIGINT` and
 * `SIGTERM`; `SIGINT` and `SIGBREAK` on Windows), with a {@link SignalCancelation} whose `signal` is
 * the name received and whose message is `Received signal SIGINT`.
 *
 * Process listeners are installed when a scope starts and removed when it ends; every scope shares
 * one listener per signal. While any scope listens, Node's default exit on that signal is suspended
 * (that is what lets the scope shut down gracefully); when the last one ends it is back, so a later
 * Ctrl+C ends the process as usual. With `exitOnSecondSignal`, a second signal during the shutdown
 * exits the process at once (code `128 + signal number`).
 *
 * Names are checked at construction: only the signals that ask a process to stop are accepted (see
 * {@link CANCEL_SIGNALS}; on Windows `SIGINT`, `SIGBREAK` and `SIGHUP`); any other name is a
 * RangeError that lists them.
 *
 * @example
 * ```ts
 * await new Cancelable({ sources: [new SignalSource('SIGTERM', 'SIGINT', { exitOnSecondSignal: true })] })
 *   .run(async (scope) => {
 *     try { await serve(scope.signal); }
 *     finally { await scope.shield(() => flushState()); }
 *   });
 * ```
 */
export class SignalSource extends MultiSource {
  /** The signals listened to. */
  readonly signals: readonly SignalName[];
  /** See {@link SignalSourceOptions.exitOnSecondSignal}. */
  readonly exitOnSecondSignal: boolean;

  constructor(...args: SignalSourceArgs) {
    const { signals, options } = parseSignalArgs(args, process.platform);
    checkKnownKeys('options', options, signalSourceKeys);
    const exit = checkExitOption(options?.exitOnSecondSignal);
    const name = options?.name;
    super({ reason: 'signal', name: name === undefined ? `signal(${signals.join(',')})` : (name as string) });
    this.signals = Object.freeze(signals);
    this.exitOnSecondSignal = exit;
  }

  protected activate(target: SourceTarget): SignalActivation {
    const activation: SignalActivation = { fired: false, offs: [] };
    const subscriber = (signal: SignalName): void => this.#deliver(target, activation, signal);
    try {
      for (const signal of this.signals) activation.offs.push(subscribeSignal(signal, subscriber));
    } catch (error) {
      for (const off of activation.offs) off();
      throw error;
    }
    return activation;
  }

  protected deactivate(state: unknown): void {
    for (const off of (state as SignalActivation).offs) off();
  }

  #deliver(target: SourceTarget, activation: SignalActivation, signal: SignalName): void {
    if (!activation.fired) {
      activation.fired = true;
      const init: CancelationInit = { reason: 'signal', message: `Received signal ${signal}`, signal };
      try {
        target[kFire](init, this);
      } catch (error) {
        reportSourceError(target.reportable, this, 'signal', error);
      }
      return;
    }
    if (this.exitOnSecondSignal) forceExit(target, signal);
  }
}

/** The second signal of a shutdown with `exitOnSecondSignal`: exit now, as a shell would report it. */
function forceExit(target: SourceTarget, signal: SignalName): never {
  const code = 128 + (signalNumbers()[signal] ?? 0);
  const scope = target.reportable;
  log(scope?.logger, 'warn', `cancelable: ${signal} received again during shutdown; exiting with code ${code}`, {
    operationId: scope?.id,
    signal,
    code,
  });
  process.exit(code);
}

/** @internal Splits `withSignal` arguments into the source and the scope options. */
export function signalScopeParts(args: readonly unknown[]): {
  source: SignalSource;
  options: CancelableOptions | undefined;
} {
  const { signals, options } = parseSignalArgs(args, process.platform);
  if (options === undefined) return { source: new SignalSource(...signals), options: undefined };
  checkOptions('options', options);
  const { exitOnSecondSignal, ...scopeOptions } = options as WithSignalOptions;
  const source = new SignalSource(...signals, { exitOnSecondSignal: checkExitOption(exitOnSecondSignal) });
  return { source, options: scopeOptions };
}
