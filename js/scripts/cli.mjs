// The command-line plumbing of the package's scripts and benchmarks (scripts/build.mjs,
// bench/*.mjs): their `--name=value` options, and the generated blocks they write into docs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** The `--name=value` (and bare `--flag`: true) arguments as a Map; other arguments are left out. */
export function parseArgs(argv = process.argv.slice(2)) {
  return new Map(
    argv
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => {
        const [key, ...value] = arg.slice(2).split('=');
        return [key, value.length ? value.join('=') : true];
      }),
  );
}

/**
 * Replaces what stands between the marker lines `begin` and `end` of `file` with `text`; a
 * missing file starts as `initial`. Throws when the markers are missing or out of order.
 */
export function writeMarkedBlock(file, { begin, end, initial = '' }, text) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : initial;
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} lacks the markers ${begin} ... ${end}`);
  writeFileSync(file, `${current.slice(0, from + begin.length)}\n${text}\n${current.slice(to)}`);
}
