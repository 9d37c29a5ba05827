/** Runs test/dashboard/fixtures/target.ts as a separate process and reads its JSON lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Json } from './helpers.js';

const fixture = resolve(import.meta.dirname, 'fixtures/target.ts');

export class TargetProcess {
  readonly child: ChildProcess;
  readonly lines: Json[] = [];
  stderr = '';
  readonly #waiters: { test: (line: Json) => boolean; resolve: (line: Json) => void }[] = [];
  readonly exited: Promise<number | null>;

  private constructor(config: Record<string, unknown>) {
    this.child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fixture, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n')) !== -1) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        let line: Json;
        try {
          line = JSON.parse(text);
        } catch {
          continue;
        }
        this.lines.push(line);
        for (const waiter of [...this.#waiters]) {
          if (waiter.test(line)) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolveExit) => this.child.once('exit', (code) => resolveExit(code)));
  }

  /** Starts the program and waits for its first line (`{ url }` or `{ path }`). */
  static async start(config: Record<string, unknown>): Promise<{ target: TargetProcess; ready: Json }> {
    const target = new TargetProcess(config);
    const ready = await target.waitFor((line) => line.url !== undefined || line.path !== undefined, 30_000, 'the ready line');
    return { target, ready };
  }

  waitFor(test: (line: Json) => boolean, timeoutMs = 10_000, what = 'a matching line'): Promise<Json> {
    const found = this.lines.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolveLine, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} from the target within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)),
        timeoutMs,
      );
      this.#waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolveLine(line);
        },
      });
    });
  }

  /** Asks for the dashboard's stats and the process's memory. */
  async stats(): Promise<Json> {
    const before = this.lines.length;
    this.child.stdin!.write('stats\n');
    return this.waitFor((line) => line.memory !== undefined && this.lines.indexOf(line) >= before, 10_000, 'stats');
  }

  /** Ends stdin (the program stops its work and exits); kills it if it does not within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
