import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { END_OF_ARCHIVE, fileHeader, padding, readTar } from '../../src/backup/tar.ts';

/** One member of a backup archive. */
export interface Member {
  name: string;
  data: Buffer;
}

/** The members of a backup archive (a gzip'd tar), in order. */
export async function readMembers(path: string): Promise<Member[]> {
  const members: Member[] = [];
  async function* source(): AsyncGenerator<Buffer> {
    yield gunzipSync(readFileSync(path));
  }
  await readTar(source(), (entry) => {
    const parts: Buffer[] = [];
    return {
      write: async (chunk) => void parts.push(Buffer.from(chunk)),
      end: async () => void members.push({ name: entry.name, data: Buffer.concat(parts) }),
    };
  });
  return members;
}

/** Writes `members` as a gzip'd tar, as anyone who can write to the backup store could. */
export function writeMembers(path: string, members: readonly Member[]): void {
  const parts = members.flatMap((m) => [fileHeader(m.name, m.data.length, Date.now()), m.data, padding(m.data.length)]);
  writeFileSync(path, gzipSync(Buffer.concat([...parts, END_OF_ARCHIVE])));
}

/** Replaces the member named `name` (which must exist), or removes it when `data` is undefined. */
export function replaceMember(members: readonly Member[], name: string, data: Buffer | undefined): Member[] {
  if (!members.some((m) => m.name === name)) throw new Error(`the archive has no member ${name}`);
  return members.flatMap((m) => (m.name !== name ? [m] : data === undefined ? [] : [{ name, data }]));
}
