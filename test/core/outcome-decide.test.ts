/**
 * `decide()` (src/core/scope/outcome.ts), the one place where a run's outcome is decided (SPEC §3),
 * row by row — written for the mutants StrykerJS found surviving the scenario tests: which error
 * becomes the cause, and when a failure stays a failure.
 */
import { describe, expect, it } from 'vitest';
import { createCancelationError, type ManualCancelation, type ParentCancelation } from '../../src/core/errors.js';
import { decide } from '../../src/core/scope/outcome.js';
import { OUTCOME_ABANDONED, OUTCOME_ERROR, OUTCOME_VALUE } from '../../src/core/scope/phases.js';

const cancel = (): ManualCancelation => createCancelationError({ reason: 'manual', message: 'stop' }, 'op');

describe('decide (SPEC §3)', () => {
  it('a value wins, cancelled or not', () => {
    const error = cancel();
    expect(decide(OUTCOME_VALUE, 42, error, true)).toEqual({ status: 'completed', ok: true, value: 42, cancelError: error, cause: undefined });
    expect(decide(OUTCOME_VALUE, 42, undefined, false)).toMatchObject({ status: 'completed', ok: true, value: 42 });
  });

  it('abandoned: cancelled with the scope error', () => {
    const error = cancel();
    expect(decide(OUTCOME_ABANDONED, undefined, error, true)).toEqual({ status: 'cancelled', ok: false, value: error, cancelError: error, cause: undefined });
    // Abandoned is cancelled whatever the other inputs say (a mutant that dropped this row survived:
    // the next row gives the same answer whenever the scope was cancelled when it stopped waiting).
    expect(decide(OUTCOME_ABANDONED, undefined, error, false)).toMatchObject({ status: 'cancelled', value: error });
  });

  it('an error after the cancellation: cancelled, the error becomes the cause', () => {
    const error = cancel();
    const failure = new Error('cleanup failed');
    expect(decide(OUTCOME_ERROR, failure, error, true)).toEqual({ status: 'cancelled', ok: false, value: error, cancelError: error, cause: failure });
  });

  it('the scope error itself is not its own cause', () => {
    const error = cancel();
    expect(decide(OUTCOME_ERROR, error, error, true).cause).toBeUndefined();
  });

  it('a cancellation error that already has a cause keeps it', () => {
    const parent = cancel();
    const error = createCancelationError({ reason: 'parent', message: 'Parent cancelled', cause: parent }, 'op');
    const decision = decide(OUTCOME_ERROR, new Error('other'), error, true);
    expect(decision.status).toBe('cancelled');
    expect(decision.cause).toBeUndefined();
    expect(error.cause).toBe(parent);
  });

  it('an error that wraps the scope error is not made its cause (no cycle)', () => {
    const error = cancel();
    const wrapper = new Error('wrapped', { cause: error });
    expect(decide(OUTCOME_ERROR, wrapper, error, true)).toMatchObject({ status: 'cancelled', value: error, cause: undefined });
  });

  it('a failure before the cancellation stays a failure, unless the body threw a cancellation', () => {
    const error = cancel();
    const failure = new Error('boom');
    expect(decide(OUTCOME_ERROR, failure, error, false)).toEqual({ status: 'failed', ok: false, value: failure, cancelError: error, cause: undefined });
    const other = createCancelationError({ reason: 'timeout', message: 'inner' }, 'op');
    expect(decide(OUTCOME_ERROR, other, error, false)).toMatchObject({ status: 'cancelled', value: error, cause: other });
  });

  it('a cancellation error thrown by an uncancelled scope is adopted', () => {
    const thrown = createCancelationError({ reason: 'parent', message: 'from elsewhere' }, 'other-op') as ParentCancelation;
    expect(decide(OUTCOME_ERROR, thrown, undefined, false)).toEqual({ status: 'cancelled', ok: false, value: thrown, cancelError: thrown, cause: undefined });
  });

  it('a plain failure of an uncancelled scope', () => {
    const failure = new Error('boom');
    expect(decide(OUTCOME_ERROR, failure, undefined, false)).toEqual({ status: 'failed', ok: false, value: failure, cancelError: undefined, cause: undefined });
    expect(decide(OUTCOME_ERROR, 'text', undefined, false)).toMatchObject({ status: 'failed', value: 'text' });
  });
});
