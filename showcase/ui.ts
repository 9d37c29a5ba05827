/**
 * A tiny terminal UI for the showcase: headings, indented lines, timings and a progress bar fed by a
 * scope's `onProgress`. Without a TTY (CI, pipes) everything degrades to plain lines: the bar prints
 * a line at each quarter instead of redrawing itself.
 */
import { performance } from 'node:perf_hooks';

const tty = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;

function paint(code: string, text: string): string {
  return tty ? `\x1b[${code}m${text}\x1b[0m` : text;
}

export const bold = (text: string): string => paint('1', text);
export const dim = (text: string): string => paint('2', text);
export const green = (text: string): string => paint('32', text);
export const red = (text: string): string => paint('31', text);
export const yellow = (text: string): string => paint('33', text);
export const cyan = (text: string): string => paint('36', text);

/** Milliseconds since `start`, rounded, as `123 ms`. */
export function since(start: number): string {
  return `${Math.round(performance.now() - start)} ms`;
}

/** The section heading of a step. */
export function heading(index: number, total: number, title: string): void {
  console.log('');
  console.log(bold(cyan(`[${index}/${total}] ${title}`)));
}

/** A short explanation under a heading. */
export function explain(text: string): void {
  console.log(dim(`  ${text}`));
}

/** One line of what happens. */
export function say(text: string): void {
  console.log(`  ${text}`);
}

/** A line that states an outcome the step was meant to show. */
export function ok(text: string): void {
  console.log(`  ${green('✔')} ${text}`);
}

/** A line that states something went differently than expected. */
export function bad(text: string): void {
  console.log(`  ${red('✘')} ${text}`);
}

/** A progress bar. `update(fraction, label)` redraws it on a TTY; `done()` ends its line. */
export class ProgressBar {
  readonly #width: number;
  #lastQuarter = -1;
  #drawn = false;

  constructor(
    readonly title: string,
    width = 24,
  ) {
    this.#width = width;
  }

  update(fraction: number, label = ''): void {
    const f = Math.max(0, Math.min(1, fraction));
    const percent = `${Math.round(f * 100)}%`.padStart(4);
    if (tty) {
      const full = Math.round(f * this.#width);
      const bar = `${'█'.repeat(full)}${'░'.repeat(this.#width - full)}`;
      process.stdout.write(`\r\x1b[2K  ${this.title} ${cyan(bar)} ${percent} ${dim(label)}`);
      this.#drawn = true;
      return;
    }
    // No TTY: a plain line at each quarter, so logs stay readable.
    const quarter = Math.floor(f * 4);
    if (quarter > this.#lastQuarter) {
      this.#lastQuarter = quarter;
      console.log(`  ${this.title} ${percent} ${label}`);
    }
  }

  /** Ends the bar's line (call it in `finally`, cancelled or not). */
  done(): void {
    if (this.#drawn) process.stdout.write('\n');
    this.#drawn = false;
  }
}

/** Reads `Step <n>/<total>` style metadata from a progress report into a fraction. */
export function fractionOf(metadata: Record<string, unknown> | undefined): number | undefined {
  const done = metadata?.['done'];
  const total = metadata?.['total'];
  return typeof done === 'number' && typeof total === 'number' && total > 0 ? done / total : undefined;
}

/** Writes streamed text as it arrives, wrapped at `width` columns and indented like `say()`. */
export class StreamedText {
  #column = 0;

  constructor(readonly width = Math.min(96, (process.stdout.columns ?? 100) - 4)) {}

  write(chunk: string): void {
    let out = '';
    for (const char of chunk) {
      if (this.#column === 0) {
        if (char === ' ') continue; // no leading space on a wrapped line
        out += '  ';
      }
      out += char;
      this.#column++;
      if (char === ' ' && this.#column >= this.width - 10) {
        out += '\n';
        this.#column = 0;
      }
    }
    process.stdout.write(out);
  }

  /** Ends the current line with `suffix`. */
  end(suffix = ''): void {
    process.stdout.write(`${suffix}\n`);
    this.#column = 0;
  }
}
