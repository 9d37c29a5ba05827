/** Chromium (Debian's, at /usr/bin/chromium) driven by playwright-core; never downloads a browser. */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** A page that records dialogs (alert/confirm/prompt), page errors and CSP violations. */
export async function watchedPage(browser: Browser): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { page, dialogs, errors };
}

/** The live row of the operation named `name` (exact), once visible. */
export function row(page: Page, name: string) {
  return page.locator('#live-list .row:not([hidden])', { has: page.locator('.c-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface BrowserElement {
  textContent: string | null;
  click(): void;
  querySelector(selector: string): BrowserElement | null;
}

/**
 * The few browser globals the tests use inside `page.evaluate` (the project compiles without the DOM
 * library): `const w = globalThis as unknown as BrowserWindow`.
 */
export interface BrowserWindow {
  document: { getElementById(id: string): BrowserElement | null; querySelectorAll(selector: string): ArrayLike<BrowserElement> };
  requestAnimationFrame(callback: (now: number) => void): number;
  getComputedStyle(element: unknown): { textIndent: string };
  PerformanceObserver: new (callback: (list: { getEntries(): { duration: number }[] }) => void) => {
    observe(options: { type: string; buffered: boolean }): void;
  };
  longTasks: number[];
}
