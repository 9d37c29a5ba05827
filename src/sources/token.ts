import type { CancelationInit } from '../core/errors.js';
import { kFire, MultiSource, type SourceTarget } from '../core/source.js';
import { CancelationToken } from '../core/token.js';
import { checkKnownKeys, describeValue, nameOnlyKeys as nameOnly } from '../core/validate.js';

/**
 * Cancels the scope when a {@link CancelationToken} is cancelled, with the token's reason and message.
 * The scope never cancels the token.
 */
export class TokenSource extends MultiSource {
  /** The token listened to. */
  readonly token: CancelationToken;

  constructor(token: CancelationToken, options?: { name?: string }) {
    if (!(token instanceof CancelationToken)) {
      throw new TypeError(`token must be a CancelationToken, got ${describeValue(token)}`);
    }
    checkKnownKeys('options', options, nameOnly);
    super({ reason: 'manual', name: options?.name ?? 'token' });
    this.token = token;
  }

  protected activate(target: SourceTarget): (() => void) | undefined {
    const token = this.token;
    const init = (): CancelationInit => ({ reason: token.reason ?? 'manual', message: token.message });
    if (token.isCancelled) {
      target[kFire](init(), this);
      return undefined;
    }
    return token.onCancel(() => target[kFire](init(), this));
  }

  protected deactivate(state: unknown): void {
    (state as (() => void) | undefined)?.();
  }
}
