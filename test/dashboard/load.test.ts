/**
 * Load: a real program with 5,000 live operations each reporting progress every second, watched in
 * Chromium. The page loads them all and stays responsive (long tasks and frame gaps are measured, and
 * the time from a Cancel click to the row showing `cancelled`); a raw socket that opens the event
 * stream and never reads is dropped while the server's buffered bytes stay under the cap.
 * The figures are printed (`[dashboard load]`) and reported in docs/dashboard.md.
 */
import net from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launch, row, watchedPage, type BrowserWindow } from './browser.js';
import { TargetProcess } from './target-process.js';

const OPERATIONS = 5_000;
const MAX_BUFFERED = 1024 * 1024;
let browser: Browser;
let program: TargetProcess;
let url: string;
let page: Page;
const figures: Record<string, string> = {};

beforeAll(async () => {
  browser = await launch();
  const started = await TargetProcess.start({ mode: 'serve', load: OPERATIONS, progressMs: 1_000, maxLagMs: 3_000, maxBufferedBytes: MAX_BUFFERED });
  program = started.target;
  url = started.ready.url;
}, 60_000);

afterAll(async () => {
  console.log(`[dashboard load] ${JSON.stringify(figures)}`);
  await browser?.close();
  await program?.stop();
}, 30_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

it(`loads ${OPERATIONS.toLocaleString('en')} live operations and stays responsive while they report progress`, async () => {
  ({ page } = await watchedPage(browser));
  await page.addInitScript(() => {
    const w = globalThis as unknown as BrowserWindow;
    w.longTasks = [];
    new w.PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const opened = Date.now();
  await page.goto(url);
  await expect.poll(() => page.locator('#stats').textContent(), { timeout: 30_000 }).toContain(`${OPERATIONS + 5} running`);
  figures.initialLoadMs = String(Date.now() - opened);
  expect(await page.locator('#live-list .row').count()).toBeLessThan(100); // virtualised: only what is visible exists

  // Four seconds of steady updates: the longest frame gap and the long tasks.
  const sample = await page.evaluate(
    () =>
      new Promise<{ maxGap: number; frames: number; longTasks: number[] }>((resolve) => {
        const w = globalThis as unknown as BrowserWindow;
        w.longTasks = [];
        let last = performance.now();
        let maxGap = 0;
        let frames = 0;
        const start = last;
        const frame = (now: number): void => {
          maxGap = Math.max(maxGap, now - last);
          last = now;
          frames++;
          if (now - start < 4_000) w.requestAnimationFrame(frame);
          else resolve({ maxGap, frames, longTasks: w.longTasks });
        };
        w.requestAnimationFrame(frame);
      }),
  );
  figures.framesIn4s = String(sample.frames);
  figures.maxFrameGapMs = sample.maxGap.toFixed(0);
  figures.longTasksIn4s = String(sample.longTasks.length);
  figures.longestTaskMs = sample.longTasks.length === 0 ? '0' : Math.max(...sample.longTasks).toFixed(0);
  expect(sample.maxGap).toBeLessThan(2_000); // generous: a shared 2-core machine

  // Cancel clicks: from the confirm click to the row showing `cancelled`.
  const latencies: number[] = [];
  // Four-digit indexes: each name is a substring of no other, so the filter leaves one row.
  for (const index of [1017, 1234, 2500, 3999, 4998]) {
    const name = `load-${index}`;
    await page.locator('#filter-name').fill(name);
    await expect.poll(() => page.locator('#live-list .row:not([hidden])').count()).toBe(1);
    const target = row(page, name);
    await target.waitFor();
    await target.locator('button[data-action="cancel"]').click();
    await page.locator('#modal-message').fill(`load test ${index}`);
    const ms = await page.evaluate(
      (wanted) =>
        new Promise<number>((resolve) => {
          const w = globalThis as unknown as BrowserWindow;
          const started = performance.now();
          w.document.getElementById('modal-confirm')!.click();
          const check = (): void => {
            const rows = Array.from(w.document.querySelectorAll('#live-list .row:not([hidden])'));
            const found = rows.find((node) => node.querySelector('.c-name')?.textContent === wanted);
            if (found?.querySelector('.status')?.textContent === 'cancelled') resolve(performance.now() - started);
            else w.requestAnimationFrame(check);
          };
          check();
        }),
      name,
    );
    latencies.push(ms);
    expect(await target.locator('.c-reason').textContent()).toBe(`manual: load test ${index}`);
  }
  figures.cancelToRowMs = latencies.map((ms) => ms.toFixed(0)).join(' ');
  figures.cancelToRowMedianMs = median(latencies).toFixed(0);
  figures.cancelToRowMaxMs = Math.max(...latencies).toFixed(0);
  expect(Math.max(...latencies)).toBeLessThan(10_000);
  await page.locator('#filter-name').fill('');
  await expect.poll(() => page.locator('#live-list .row:not([hidden])').count()).toBeGreaterThan(10);
}, 120_000);

it('a reader that never reads the event stream is dropped; the server buffers no more than the cap meanwhile', async () => {
  const before = await program.stats();
  expect(before.stats.streams.clients).toBe(1); // the browser page
  const { hostname, port, pathname } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(`GET ${pathname}api/events HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause(); // never read: the kernel buffers fill, then the server's

  let maxBuffered = 0;
  let maxHeap = 0;
  let stats = before;
  const started = Date.now();
  for (;;) {
    stats = await program.stats();
    maxBuffered = Math.max(maxBuffered, stats.stats.streams.bufferedBytes);
    maxHeap = Math.max(maxHeap, stats.memory.heapUsed);
    if (stats.stats.streams.dropped >= 1) break;
    if (Date.now() - started > 60_000) throw new Error(`the slow reader was never dropped: ${JSON.stringify(stats.stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  socket.destroy();
  figures.slowReaderDroppedAfterMs = String(Date.now() - started);
  figures.slowReaderPeakBufferedBytes = String(stats.stats.streams.peakBufferedBytes);
  figures.heapAfterGcBeforeMB = (before.memory.heapUsed / 2 ** 20).toFixed(1);
  figures.heapAfterGcMaxDuringMB = (maxHeap / 2 ** 20).toFixed(1);
  expect(stats.stats.streams.peakBufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED);
  expect(maxBuffered).toBeLessThanOrEqual(MAX_BUFFERED);
  expect(stats.stats.streams.clients).toBe(1); // the laggard is gone, the page stays
  // Live heap (measured after a full GC) grows by at most the stream's buffers, not by the backlog.
  expect(maxHeap - before.memory.heapUsed).toBeLessThan(32 * 2 ** 20);
  // The page kept up all along and is still live.
  expect(await page.locator('#conn').textContent()).toBe('live');
  const progress = row(page, 'long-report').locator('.c-progress');
  const now = await progress.textContent();
  await expect.poll(() => progress.textContent(), { timeout: 5_000 }).not.toBe(now);
}, 120_000);
