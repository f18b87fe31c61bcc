// Timing helpers shared by the benchmarks. BENCH_ROUND_MS / BENCH_ROUNDS tune them.
//
// Method: every contender gets one warm-up round, then BENCH_ROUNDS timed rounds in which
// the contenders run one after the other (interleaved), so that load from other processes
// on a shared machine falls on all of them alike; the result is the median round per
// contender. A round calls the function in batches of 100 until BENCH_ROUND_MS have passed.

export const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 500);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

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

async function runForAsync(fn, ms) {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** ops/s of `fn`: a warm-up, then ROUNDS timed rounds; the median. */
export function measure(fn) {
  return compare({ fn }).fn;
}

/**
 * ops/s of each function in `fns` ({ name: fn }), interleaved rounds, median per function
 * (synchronous functions only; see compareAsync).
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

/**
 * Like compare(), for contenders that may be asynchronous: `{ name: { fn, async } }`. An
 * async contender is awaited call by call (what a request handler does).
 */
export async function compareMixed(contenders) {
  const entries = Object.entries(contenders);
  const once = (c) => (c.async ? runForAsync(c.fn, ROUND_MS) : runFor(c.fn, ROUND_MS));
  for (const [, c] of entries) await once(c);
  const rates = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, c] of entries) rates[name].push(await once(c));
  }
  return Object.fromEntries(entries.map(([name]) => [name, median(rates[name])]));
}

/**
 * Runs whole workloads in interleaved rounds: `{ name: async () => ({ ops, seconds }) }`,
 * where each call sets up its own state (untimed) and reports the ops it timed. Returns the
 * median ops/s per name.
 */
export async function compareWorkloads(workloads, rounds = ROUNDS) {
  const entries = Object.entries(workloads);
  for (const [, run] of entries) await run();
  const rates = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of entries) {
      const { ops, seconds } = await run();
      rates[name].push(ops / seconds);
    }
  }
  return Object.fromEntries(entries.map(([name]) => [name, median(rates[name])]));
}
