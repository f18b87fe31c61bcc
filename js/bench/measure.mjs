// Timing helper shared by the quick benchmarks. BENCH_ROUND_MS / BENCH_ROUNDS tune it.

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** ops/s of `fn`: a warm-up, then ROUNDS timed rounds; the median. */
export function measure(fn) {
  const run = (ms) => {
    let n = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) fn();
      n += 100;
    }
    return n;
  };
  run(ROUND_MS / 2);
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    const n = run(ROUND_MS);
    rates.push(n / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

