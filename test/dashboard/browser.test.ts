/**
 * The dashboard in a real browser (Chromium via playwright-core) watching a real separate program:
 * its live operations appear, progress moves, Cancel with a message cancels the operation in that
 * program and the row shows it; read-only hides the actions and the API refuses them; an authorize
 * that denies gives 403; an operation named like an HTML payload renders as text.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, row, watchedPage, type BrowserWindow } from './browser.js';
import { TargetProcess } from './target-process.js';

let browser: Browser;
const targets: TargetProcess[] = [];

async function target(config: Record<string, unknown>): Promise<{ target: TargetProcess; url: string }> {
  const started = await TargetProcess.start({ mode: 'serve', ...config });
  targets.push(started.target);
  return { target: started.target, url: started.ready.url as string };
}

beforeAll(async () => {
  browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(targets.map((t) => t.stop()));
}, 30_000);

describe('the dashboard in Chromium', () => {
  it('lists the live operations of another process as a tree, with progress that moves, and their detail', async () => {
    const { url } = await target({});
    const { page, errors } = await watchedPage(browser);
    await page.goto(url);
    await expect.poll(() => page.locator('#conn').textContent()).toBe('live');
    for (const name of ['nightly-import', 'import-users', 'import-orders', 'long-report']) await row(page, name).waitFor();
    const indent = async (name: string) => row(page, name).locator('.c-name').evaluate((node) => (globalThis as unknown as BrowserWindow).getComputedStyle(node).textIndent);
    expect(await indent('nightly-import')).toBe('0px');
    expect(await indent('import-users')).toBe('14px');
    const progress = row(page, 'import-users').locator('.c-progress');
    await expect.poll(() => progress.textContent()).toMatch(/^imported \d+ users$/);
    const first = Number(/\d+/.exec((await progress.textContent()) ?? '')![0]);
    await expect.poll(async () => Number(/\d+/.exec((await progress.textContent()) ?? '0')![0]), { timeout: 5_000 }).toBeGreaterThan(first);
    await expect.poll(() => page.locator('#stats').textContent()).toContain('5 running');

    await row(page, 'import-users').locator('.c-name').click();
    const detail = page.locator('#detail');
    await detail.locator('h2', { hasText: 'import-users' }).waitFor();
    expect(await detail.locator('.chain button').allTextContents()).toEqual(['nightly-import']);
    await expect.poll(() => detail.locator('ol li').count()).toBeGreaterThan(1);
    expect(await detail.locator('pre').first().textContent()).toContain('"owner": "tests"');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Cancel with a message cancels the operation in the other process; the row shows cancelled with the message', async () => {
    const { target: program, url } = await target({});
    const { page, errors } = await watchedPage(browser);
    await page.goto(url);
    const report = row(page, 'long-report');
    await report.waitFor();
    await report.locator('button[data-action="cancel"]').click();
    await page.locator('#modal-message').fill('Stopped from Chromium (ticket 7)');
    await page.locator('#modal-confirm').click();
    const ended = await program.waitFor((line) => line.ended?.name === 'long-report');
    expect(ended.ended).toEqual({ name: 'long-report', status: 'cancelled', reason: 'manual', message: 'Stopped from Chromium (ticket 7)' });
    await expect.poll(() => report.locator('.status').textContent()).toBe('cancelled');
    expect(await report.locator('.c-reason').textContent()).toBe('manual: Stopped from Chromium (ticket 7)');
    expect(await report.locator('button[data-action="cancel"]').isHidden()).toBe(true);
    await page.locator('#tab-history').click();
    const history = page.locator('#history-list .row:not([hidden])', { hasText: 'long-report' });
    await history.waitFor();
    expect(await history.locator('.status').textContent()).toBe('cancelled');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('Subtree and Cancel matching… act on several operations, each with the message', async () => {
    const { target: program, url } = await target({});
    const { page } = await watchedPage(browser);
    await page.goto(url);
    await row(page, 'nightly-import').waitFor();
    await row(page, 'nightly-import').locator('button[data-action="cancel-subtree"]').click();
    await page.locator('#modal-message').fill('Abort the import');
    await page.locator('#modal-message').press('Enter');
    for (const name of ['nightly-import', 'import-users', 'import-orders']) {
      const line = await program.waitFor((l) => l.ended?.name === name);
      expect(line.ended).toMatchObject({ status: 'cancelled', reason: 'manual', message: 'Abort the import' });
    }
    await page.locator('#filter-name').fill('report');
    await expect.poll(() => page.locator('#live-list .row:not([hidden])').count()).toBe(1);
    await page.locator('#cancel-matching').click();
    expect(await page.locator('#modal-text').textContent()).toContain('1 running operations whose name contains "report"');
    await page.locator('#modal-message').fill('No more reports');
    await page.locator('#modal-confirm').click();
    expect((await program.waitFor((l) => l.ended?.name === 'long-report')).ended.message).toBe('No more reports');
    await expect.poll(() => page.locator('#toast').textContent()).toBe('Cancelled 1 of 1 matching operations');
    await page.close();
  });

  it('read-only: no action buttons, and the API refuses an action sent from the page (403)', async () => {
    const { url } = await target({ readOnly: true });
    const { page } = await watchedPage(browser);
    await page.goto(url);
    await row(page, 'long-report').waitFor();
    expect(await page.locator('button[data-action]').count()).toBe(0);
    expect(await page.locator('#cancel-matching').isHidden()).toBe(true);
    expect(await page.locator('#source').textContent()).toContain('read-only');
    await row(page, 'long-report').locator('.c-name').click();
    await page.locator('#detail h2').waitFor();
    expect(await page.locator('#detail [data-detail-action]').count()).toBe(0);
    const id = await row(page, 'long-report').getAttribute('data-id');
    const status = await page.evaluate(async (operationId) => {
      const response = await fetch(`api/operations/${encodeURIComponent(operationId!)}/cancel`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Cancelable-Dashboard': '1' },
        body: JSON.stringify({ message: 'sneaky' }),
      });
      return response.status;
    }, id);
    expect(status).toBe(403);
    expect(await row(page, 'long-report').locator('.status').textContent()).toBe('running');
    await page.close();
  });

  it('an authorize that denies: the click gets 403, the page says so, the operation keeps running', async () => {
    const { target: program, url } = await target({ deny: true });
    const { page } = await watchedPage(browser);
    const answers: number[] = [];
    page.on('response', (response) => {
      if (response.request().method() === 'POST') answers.push(response.status());
    });
    await page.goto(url);
    await row(page, 'long-report').waitFor();
    await row(page, 'long-report').locator('button[data-action="cancel"]').click();
    await page.locator('#modal-message').fill('please');
    await page.locator('#modal-confirm').click();
    await expect.poll(() => page.locator('#toast').textContent()).toBe('not authorized to do this');
    expect(await page.locator('#toast').getAttribute('class')).toBe('error');
    expect(answers).toEqual([403]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(program.lines.some((line) => line.ended?.name === 'long-report')).toBe(false);
    await page.close();
  });

  it('an operation named <img src=x onerror=alert(1)> renders as text: no dialog, no element, in the list and the detail', async () => {
    const { url } = await target({});
    const { page, dialogs, errors } = await watchedPage(browser);
    await page.goto(url);
    const name = '<img src=x onerror=alert(1)>';
    const hostile = row(page, name);
    await hostile.waitFor();
    expect(await hostile.locator('.c-name').textContent()).toBe(name);
    expect(await hostile.locator('.c-name').isVisible()).toBe(true);
    await hostile.locator('.c-name').click();
    await page.locator('#detail h2').waitFor();
    expect(await page.locator('#detail h2').textContent()).toBe(name);
    await page.locator('#tab-history').click();
    await page.locator('#tab-live').click();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]); // no CSP violation either
    await page.close();
  });
});
