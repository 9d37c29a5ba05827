/**
 * The leak check itself (issue 16, "the tests that let these through"): it must see handles that do
 * not keep the process alive — an unref'd server left listening, an unref'd socket left open, an
 * unref'd timer left pending — and stop seeing them once they are closed.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Cancelable } from '../../src/index.js';
import { findLeaks, settle, snapshotResources } from '../harness/leaks.js';

const names = (leaks: ReturnType<typeof findLeaks>): string[] => leaks.map((leak) => leak.name);

describe("the leak harness sees unref'd handles", () => {
  it("an unref'd server left listening (a close() that did not close)", async () => {
    const baseline = snapshotResources();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    expect(names(findLeaks(baseline))).toContain("unref'd server");
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(names(findLeaks(baseline))).not.toContain("unref'd server");
  });

  it("an unref'd socket left open", async () => {
    const server = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseline = snapshotResources();
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.unref();
    expect(names(findLeaks(baseline))).toContain("unref'd socket");
    socket.destroy();
    await settle(2);
    expect(names(findLeaks(baseline))).not.toContain("unref'd socket");
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("an unref'd timer left pending, and none once it is cleared", () => {
    const baseline = snapshotResources();
    const timer = setTimeout(() => undefined, 60_000);
    timer.unref();
    expect(names(findLeaks(baseline))).toContain("unref'd Timeout");
    clearTimeout(timer);
    expect(names(findLeaks(baseline))).not.toContain("unref'd Timeout");
  });

  it("the core's idle deadline timers are released before the check: finished scopes leave nothing", async () => {
    const baseline = snapshotResources();
    for (let i = 0; i < 50; i++) await Cancelable.withTimeout(60_000 + (i % 5)).run(async () => undefined);
    expect(findLeaks(baseline)).toEqual([]);
  });
});
