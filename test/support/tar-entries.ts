import { fileHeader, padding, readTar } from '../../src/backup/tar.ts';

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** Reads `archive` fed in chunks of `chunkSize` bytes: each entry's name and contents (latin1, so bytes round-trip). */
export async function tarEntries(archive: Buffer, chunkSize: number): Promise<Array<{ name: string; data: string }>> {
  const out: Array<{ name: string; data: string }> = [];
  await readTar(chunks(archive, chunkSize), (entry) => {
    const parts: Buffer[] = [];
    return {
      write: async (c) => void parts.push(Buffer.from(c)),
      end: async () => void out.push({ name: entry.name, data: Buffer.concat(parts).toString('latin1') }),
    };
  });
  return out;
}

/** One archive member: header, contents, padding to the block. */
export const tarMember = (name: string, text: string): Buffer[] => [fileHeader(name, text.length, 0), Buffer.from(text, 'latin1'), padding(text.length)];
