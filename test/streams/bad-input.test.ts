/**
 * Bad input: a clear TypeError / RangeError naming the parameter and the value, thrown at the call
 * (not at the first next()).
 */
import { describe, expect, it } from 'vitest';
import {
  Cancelable,
  CancelableAsyncIterator,
  cancelableStream,
  chunkedCancelableStream,
  type CancelableStreamOptions,
} from '../../src/index.js';

const scope = new Cancelable();

describe('cancelableStream bad input', () => {
  it.each<[string, unknown, RegExp]>([
    ['a number', 42, /source must be an AsyncIterable, an Iterable, a ReadableStream or a Node Readable, got 42/],
    ['null', null, /got null/],
    ['undefined', undefined, /got undefined/],
    ['a plain object', { next() {} }, /got an object/],
    ['a promise', Promise.resolve([1]), /got an instance of Promise/],
    ['a function', () => [1], /got function/],
  ])('a source that is not iterable (%s) is a TypeError', (_name, source, message) => {
    const call = (): unknown => cancelableStream(source as Iterable<number>, scope);
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
    expect(() => new CancelableAsyncIterator(source as Iterable<number>, scope)).toThrow(TypeError);
    expect(() => scope.stream(source as Iterable<number>)).toThrow(TypeError);
    expect(() => chunkedCancelableStream(source as Iterable<number>, scope, { chunkSize: 1 })).toThrow(TypeError);
  });

  it('an iterable whose iterator has no next() is a TypeError', () => {
    const broken = { [Symbol.asyncIterator]: () => ({}) };
    expect(() => cancelableStream(broken as AsyncIterable<number>, scope)).toThrow(
      /source\[Symbol.asyncIterator\]\(\) must return an iterator/,
    );
  });

  it('a scope that is not a Cancelable is a TypeError', () => {
    expect(() => cancelableStream([1], undefined as unknown as Cancelable)).toThrow(
      /scope must be a Cancelable, got undefined/,
    );
    expect(() => cancelableStream([1], new AbortController().signal as unknown as Cancelable)).toThrow(TypeError);
  });

  it.each<[string, CancelableStreamOptions<number>, ErrorConstructor, RegExp]>([
    ['bufferSize < 0', { bufferSize: -1 }, RangeError, /options\.bufferSize must be an integer >= 0, got -1/],
    ['bufferSize not an integer', { bufferSize: 1.5 }, RangeError, /options\.bufferSize .* got 1\.5/],
    ['bufferSize Infinity', { bufferSize: Infinity }, RangeError, /options\.bufferSize/],
    ['bufferSize a string', { bufferSize: '4' as unknown as number }, TypeError, /options\.bufferSize must be an integer, got "4"/],
    ['reportInterval 0', { reportInterval: 0 }, RangeError, /options\.reportInterval must be an integer >= 1, got 0/],
    ['onProgress not a function', { onProgress: 'x' as unknown as () => void }, TypeError, /options\.onProgress must be a function/],
    ['bufferPartial not a boolean', { bufferPartial: 1 as unknown as boolean }, TypeError, /options\.bufferPartial must be a boolean, got 1/],
  ])('%s', (_name, options, type, message) => {
    expect(() => cancelableStream([1], scope, options)).toThrow(type);
    expect(() => cancelableStream([1], scope, options)).toThrow(message);
  });

  it('options that are not an object are a TypeError', () => {
    expect(() => cancelableStream([1], scope, 5 as unknown as CancelableStreamOptions<number>)).toThrow(
      /options must be an options object, got 5/,
    );
  });

  it('bad options do not lock a web stream', () => {
    const stream = new ReadableStream();
    expect(() => cancelableStream(stream, scope, { bufferSize: -1 })).toThrow(RangeError);
    expect(stream.locked).toBe(false);
  });
});
