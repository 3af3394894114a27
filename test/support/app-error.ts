import * as assert from 'node:assert/strict';
import { AppError, type ErrorCode } from '../../src/errors.ts';

/** Asserts `promise` rejects with an AppError of `code` whose detail matches `detail`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, detail: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.detail, detail);
    return true;
  });
}
