// The backend-neutral model, without a server: ids, records read from outside, options. Everything
// here is what a hostile peer or a careless caller can hand in.
import { describe, expect, test } from 'vitest';
import { decodeLease, decodeState, encodeLease, encodeState, GarbageError, MAX_LEASE_BYTES } from '../../src/remote/records.js';
import { checkId, isValidId, MAX_ID_BYTES } from '../../src/remote/validate.js';
import { tagOf } from '../../src/redis/keys.js';
import { createRedisCancelation } from '../../src/redis/index.js';
import { createPostgresCancelation } from '../../src/postgres/index.js';
import { cancelableProcessor } from '../../src/bullmq/index.js';

const context = {
  id: 'job-1',
  name: 'export',
  parentId: null,
  status: 'running' as const,
  startTime: 1_000,
  endTime: null,
  durationMs: 5,
  cancelReason: null,
  cancelMessage: null,
  error: null,
  progress: { message: 'page 3', metadata: { page: 3 }, at: 1_200 },
  partialResult: { rows: [1, 2, 3] },
  metadata: { tenant: 'acme' },
};

describe('ids', () => {
  test.each([
    ['a UUID', '4f6c1c3e-8a53-4d69-b7c9-0b4e51fcd6a1'],
    ['a BullMQ job id', '1234'],
    ['unicode', 'rapport-été-😀'],
    ['braces and percent signs', '{a}%7B}'],
    ['exactly 256 bytes', 'x'.repeat(MAX_ID_BYTES)],
  ])('accepts %s', (_what, id) => {
    expect(checkId('id', id)).toBe(id);
    expect(isValidId(id)).toBe(true);
  });

  test.each([
    ['an empty string', '', RangeError, /id must not be empty/],
    ['257 bytes', 'x'.repeat(MAX_ID_BYTES + 1), RangeError, /at most 256 bytes/],
    ['129 two-byte characters (258 bytes)', 'é'.repeat(129), RangeError, /at most 256 bytes/],
    ['a newline', 'a\nb', RangeError, /control characters/],
    ['an escape sequence', '\u001b[2Jboom', RangeError, /control characters/],
    ['a NUL', 'a\u0000', RangeError, /control characters/],
    ['a C1 control', 'a\u009b', RangeError, /control characters/],
    ['a lone surrogate', 'a\ud800', RangeError, /well-formed/],
    ['a number', 42, TypeError, /id must be a string, got 42/],
    ['null', null, TypeError, /id must be a string, got null/],
    ['an object', { toString: () => 'x' }, TypeError, /id must be a string/],
  ])('rejects %s, naming the parameter', (_what, id, type, message) => {
    expect(() => checkId('id', id)).toThrow(type);
    expect(() => checkId('id', id)).toThrow(message);
    expect(isValidId(id)).toBe(false);
  });

  test('hash tags: one tag per id, ordinary ids readable, no two ids share a tag', () => {
    expect(tagOf('job-7')).toBe('job-7');
    expect(tagOf('}x')).toBe('%7Dx'); // an id starting with } would otherwise make an empty tag
    const ids = ['{a}', '%7Ba}', '%257Ba%257D', 'a', '{', '}', '%'];
    const tags = ids.map(tagOf);
    expect(new Set(tags).size).toBe(ids.length);
    for (const tag of tags) expect(tag).not.toMatch(/[{}]/);
  });
});

describe('cancel states read from outside', () => {
  const valid = { reason: 'manual', message: 'Stop', at: 1_700_000_000_000, by: 'api-1:42' };

  test('a state written by the library reads back', () => {
    const state = { reason: 'timeout' as const, message: null, at: 5, by: 'host:1' };
    expect(decodeState(encodeState(state), 4_096)).toEqual(state);
    expect(decodeState({ ...valid, at: '1700000000000' }, 4_096)).toEqual(valid); // a bigint column
  });

  test.each([
    ['not JSON', '{reason'],
    ['JSON but not an object', '"manual"'],
    ['an array', '[1,2]'],
    ['an unknown reason', JSON.stringify({ ...valid, reason: 'because' })],
    ['a message over the cap', JSON.stringify({ ...valid, message: 'x'.repeat(100) })],
    ['a message of the wrong type', JSON.stringify({ ...valid, message: 42 })],
    ['a negative time', JSON.stringify({ ...valid, at: -1 })],
    ['a time that is not a number', JSON.stringify({ ...valid, at: 'yesterday' })],
    ['a canceller with control characters', JSON.stringify({ ...valid, by: '\u001b]0;pwned\u0007' })],
    ['a huge value', 'x'.repeat(1_000_000)],
    ['a number', 12],
    ['null inside JSON', 'null'],
  ])('%s is refused with a reason', (_what, raw) => {
    const result = decodeState(raw, 64);
    expect(result).toBeInstanceOf(GarbageError);
  });
});

describe('leases', () => {
  const record = { v: 1 as const, host: 'api-1', pid: 42, instance: 'api-1:42:ab', context };

  test('round trip: the partial result stays home, the duration is the reader\'s', () => {
    const operation = decodeLease(encodeLease(record), 'job-1', 1_500);
    expect(operation).toMatchObject({ id: 'job-1', name: 'export', host: 'api-1', pid: 42, instance: 'api-1:42:ab', partialResult: null, durationMs: 500 });
    expect(operation).toMatchObject({ progress: { message: 'page 3' }, metadata: { tenant: 'acme' } });
  });

  test('huge or cyclic metadata is trimmed, never makes the lease unwritable', () => {
    const cyclic: Record<string, unknown> = { big: 'x'.repeat(MAX_LEASE_BYTES) };
    cyclic.self = cyclic;
    const text = encodeLease({ ...record, context: { ...context, metadata: cyclic, name: 'n'.repeat(MAX_LEASE_BYTES) } });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_LEASE_BYTES);
    const operation = decodeLease(text, 'job-1', 2_000);
    expect(operation).toMatchObject({ metadata: { trimmed: true } });
    expect((operation as { name: string }).name.length).toBe(1_000);
  });

  test.each([
    ['not JSON', 'nope'],
    ['another version', JSON.stringify({ ...record, v: 2 })],
    ['a host with control characters', JSON.stringify({ ...record, host: 'a\nb' })],
    ['a negative pid', JSON.stringify({ ...record, pid: -3 })],
    ['a bad status', JSON.stringify({ ...record, context: { ...context, status: 'zombie' } })],
    ['a bad progress', JSON.stringify({ ...record, context: { ...context, progress: { message: 3 } } })],
    ['metadata that is not an object', JSON.stringify({ ...record, context: { ...context, metadata: [1] } })],
    ['an id that is not the key\'s', JSON.stringify({ ...record, context: { ...context, id: 'other' } })],
    ['a record over the cap', JSON.stringify({ ...record, pad: 'x'.repeat(MAX_LEASE_BYTES) })],
    ['a buffer', Buffer.from('{}')],
  ])('%s is refused', (_what, raw) => {
    expect(decodeLease(raw, 'job-1', 0)).toBeInstanceOf(GarbageError);
  });
});

describe('options are checked at the call', () => {
  const fakeIoredis = { call: async () => null, duplicate: () => fakeIoredis, ssubscribe: async () => null, status: 'ready' };

  test('createRedisCancelation', () => {
    expect(() => createRedisCancelation(undefined as never)).toThrow(TypeError);
    expect(() => createRedisCancelation({ client: {} })).toThrow(/options.client must be an ioredis client/);
    expect(() => createRedisCancelation(fakeIoredis as never)).toThrow(/pass the client as createRedisCancelation\(\{ client \}\)/);
    expect(() => createRedisCancelation({ client: { isCluster: true } })).toThrow(/Cluster client: not supported yet/);
    expect(() => createRedisCancelation({ client: fakeIoredis, namespace: 'a b' })).toThrow(RangeError);
    expect(() => createRedisCancelation({ client: fakeIoredis, namespace: 'a{b}' })).toThrow(/options.namespace must be letters/);
    expect(() => createRedisCancelation({ client: fakeIoredis, leaseTTLMs: 5 } as never)).toThrow(/options.leaseTTLMs is not a known option/);
    expect(() => createRedisCancelation({ client: fakeIoredis, leaseTtlMs: 10 })).toThrow(/options.leaseTtlMs must be an integer from 300/);
    expect(() => createRedisCancelation({ client: fakeIoredis, sharded: 'yes' } as never)).toThrow(/options.sharded must be a boolean/);
  });

  test('remote methods reject bad ids and options before touching the server', async () => {
    const remote = createRedisCancelation({ client: fakeIoredis, maxMessageBytes: 16 });
    expect(() => remote.source('')).toThrow(RangeError);
    expect(() => remote.source('a\u0007')).toThrow(/id must not contain control characters/);
    expect(() => remote.source('ok', { nme: 'x' } as never)).toThrow(/options.nme is not a known option/);
    await expect(remote.cancel('x'.repeat(300))).rejects.toThrow(/id must be at most 256 bytes/);
    await expect(remote.cancel('ok', { reason: 'whim' as never })).rejects.toThrow(/options.reason must be one of/);
    await expect(remote.cancel('ok', { message: 'x'.repeat(17) })).rejects.toThrow(/options.message must be at most 16 bytes/);
    await expect(remote.cancel('ok', { by: 'me\n' })).rejects.toThrow(/options.by must not contain control characters/);
    await expect(remote.list({ status: 'zombie' as never })).rejects.toThrow(/filter.status must be one of/);
    await expect(remote.list({ nam: 'x' } as never)).rejects.toThrow(/filter.nam is not a known option/);
    expect(() => remote.attach({} as never)).toThrow(/registry must be an OperationRegistry/);
    expect(() => remote.subscribe('nope' as never)).toThrow(/listener must be a function/);
    await remote.close();
    await expect(remote.cancel('ok')).rejects.toThrow(/remote \(namespace 'cancelable'\) is closed/);
    expect(() => remote.source('ok')).toThrow(/is closed/);
  });

  test('createPostgresCancelation', () => {
    const pool = { query: async () => ({ rows: [] }), options: {}, Client: class {}, end: async () => undefined };
    expect(() => createPostgresCancelation({})).toThrow(/exactly one of pool/);
    expect(() => createPostgresCancelation(pool as never)).toThrow(/pass createPostgresCancelation\(\{ pool \}\)/);
    expect(() => createPostgresCancelation({ pool, client: pool })).toThrow(/exactly one of pool/);
    expect(() => createPostgresCancelation({ pool: {} })).toThrow(/options.pool must be a pg Pool/);
    expect(() => createPostgresCancelation({ pool, namespace: 'Bad-Name' })).toThrow(/options.namespace must be lowercase letters/);
    expect(() => createPostgresCancelation({ pool, namespace: 'x"; DROP TABLE users; --' })).toThrow(RangeError);
    expect(() => createPostgresCancelation({ pool, schema: 'a.b' })).toThrow(/options.schema must be/);
    expect(() => createPostgresCancelation({ pool, poolSize: 3 } as never)).toThrow(/options.poolSize is not a known option/);
  });

  test('cancelableProcessor', () => {
    const remote = createRedisCancelation({ client: fakeIoredis });
    expect(() => cancelableProcessor('x' as never, { remote })).toThrow(/processor must be a function/);
    expect(() => cancelableProcessor(async () => 1, undefined as never)).toThrow(/options must be an options object with a remote/);
    expect(() => cancelableProcessor(async () => 1, { remote: {} as never })).toThrow(/options.remote must be a remote/);
    expect(() => cancelableProcessor(async () => 1, { remote, retries: 1 } as never)).toThrow(/options.retries is not a known option/);
    expect(() => cancelableProcessor(async () => 1, { remote, timeout: -5 })).toThrow(RangeError);
    // BullMQ hands its abort signal only to processors that declare three parameters.
    expect(cancelableProcessor(async () => 1, { remote }).length).toBe(3);
    return remote.close();
  });
});
