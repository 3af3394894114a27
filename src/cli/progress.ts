import { humanDuration } from '../duration.ts';

/** Progress of long CLI work on stderr: one line redrawn in place at a terminal, plain lines otherwise. */
export interface Progress {
  /** Whether a bar is drawn (stderr is a terminal); callers print their own plain lines when it is not. */
  readonly live: boolean;
  /** `done` of `total` (a bar with a percentage), or of an unknown total (a count). */
  update(label: string, done: number, total?: number): void;
  /** A step finished: at a terminal it is redrawn as the current line; otherwise printed as `task: line`. */
  step(line: string): void;
  /** Clears the bar, leaving the terminal as it was. */
  end(): void;
}

const WIDTH = 24;

/** The bar text: `[#########---------------]  37% label (12 s)`. */
export function barText(label: string, done: number, total: number | undefined, elapsedMs: number): string {
  const time = `(${humanDuration(elapsedMs)})`;
  if (total === undefined || total <= 0) return `${label}: ${done} ${time}`;
  const fraction = Math.min(1, Math.max(0, done / total));
  const filled = Math.round(fraction * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${label} ${done}/${total} ${time}`;
}

export function progress(task: string, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Progress {
  const live = stream.isTTY === true;
  const started = now();
  let drawn = false;
  const draw = (text: string): void => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r\x1b[2K${`${task} ${text}`.slice(0, width)}`);
    drawn = true;
  };
  return {
    live,
    update(label, done, total) {
      if (live) draw(barText(label, done, total, now() - started));
    },
    step(line) {
      if (live) draw(`${line} (${humanDuration(now() - started)})`);
      else stream.write(`${task}: ${line}\n`);
    },
    end() {
      if (live && drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
