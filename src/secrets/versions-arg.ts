import { AppError } from '../errors.ts';

/** Checks a list of version numbers as the API and CLI give it (default: none given). */
export function checkVersions(input: unknown): number[] | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input) || input.length === 0 || input.length > 1000 || !input.every((v) => Number.isInteger(v) && (v as number) >= 1)) {
    throw new AppError('malformed', '"versions" must be a non-empty list of version numbers (whole numbers from 1)');
  }
  return [...new Set(input as number[])];
}
