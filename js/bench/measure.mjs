// Timing helpers shared by the quick benchmarks. BENCH_ROUND_MS / BENCH_ROUNDS tune them.

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

function runFor(fn, ms) {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** ops/s of `fn`: a warm-up, then ROUNDS timed rounds; the median. */
export function measure(fn) {
  return compare({ fn }).fn;
}

/**
 * ops/s of each function in `fns` ({ name: fn }): one warm-up round each, then ROUNDS rounds
 * in which every function runs once, interleaved, so that load from other processes falls on
 * all of them alike; the median per function.
 */
export function compare(fns) {
  const entries = Object.entries(fns);
  for (const [, fn] of entries) runFor(fn, ROUND_MS);
  const rates = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of entries) rates[name].push(runFor(fn, ROUND_MS));
  }
  return Object.fromEntries(entries.map(([name]) => [name, median(rates[name])]));
}
