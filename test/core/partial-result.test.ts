/**
 * Issue 16 #18: `scope.partialResult` and `scope.context.partialResult` are typed by the scope's type
 * parameter (checked by `tsc`, which type-checks the tests, and by expectTypeOf at run time).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Cancelable, CancelScope, type OperationContext, type StreamPartialResult } from '../../src/index.js';

interface Rows {
  rows: number;
  last?: string;
}

describe('partialResult is typed (issue 16 #18)', () => {
  it('by the type parameter of the scope, on the scope and on its context', async () => {
    const scope = new Cancelable<Rows>({ name: 'import' });
    expectTypeOf(scope.partialResult).toEqualTypeOf<Rows | null>();
    expectTypeOf(scope.context.partialResult).toEqualTypeOf<Rows | null>();
    expectTypeOf(scope.context).toEqualTypeOf<OperationContext<Rows>>();
    expectTypeOf(scope.toJSON().partialResult).toEqualTypeOf<Rows | null>();
    // @ts-expect-error: a value of another type is refused
    scope.partialResult = { rows: 'many' };
    await scope.run((s) => {
      expectTypeOf(s.partialResult).toEqualTypeOf<Rows | null>();
      s.partialResult = { rows: 3, last: 'c' };
    });
    expect(scope.context.partialResult).toEqual({ rows: 3, last: 'c' });
  });

  it('onComplete callbacks see the typed context; an untyped scope keeps unknown', async () => {
    const scope = new Cancelable<Rows>();
    let seen: Rows | null = null;
    scope.onComplete((context) => {
      seen = (context as OperationContext<Rows>).partialResult;
    });
    await scope.run((s) => {
      s.partialResult = { rows: 1 };
    });
    expect(seen).toEqual({ rows: 1 });
    expectTypeOf(new Cancelable().partialResult).toEqualTypeOf<unknown>();
    expectTypeOf(new CancelScope<StreamPartialResult<string>>().context.partialResult).toEqualTypeOf<StreamPartialResult<string> | null>();
  });

  it('a stream keeps StreamPartialResult on a scope typed for it', async () => {
    const scope = new Cancelable<StreamPartialResult<number>>();
    await scope.run(async (s) => {
      for await (const item of s.stream([1, 2, 3], { bufferPartial: true })) void item;
    });
    const partial = scope.context.partialResult;
    expectTypeOf(partial).toEqualTypeOf<StreamPartialResult<number> | null>();
    expect(partial).toEqual({ count: 3, buffer: [1, 2, 3], completed: true });
  });
});
