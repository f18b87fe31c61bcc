// Refresh latency against the built worker in local workerd: 200 sequential refreshes over
// loopback, client-observed, after a short warm-up. Prints median and p90; asserts only a
// generous ceiling (a regression alarm, not a benchmark: the machine is shared).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issuerPerFile } from '../lib/index.mjs';

const PORT = 18750;
const COUNT = Number(process.env.ISSUER_LATENCY_COUNT ?? 200);
const local = issuerPerFile('latency', PORT);

test(`median latency of ${COUNT} sequential refreshes`, async (t) => {
  let token = (await local.api.createSession({ sub: `latency-${process.pid}` })).json.refresh_token;
  for (let i = 0; i < 10; i++) token = (await local.api.refresh(token)).json.refresh_token;
  const times = [];
  for (let i = 0; i < COUNT; i++) {
    const t0 = performance.now();
    const r = await local.api.refresh(token);
    times.push(performance.now() - t0);
    assert.equal(r.status, 200, r.text);
    token = r.json.refresh_token;
  }
  times.sort((a, b) => a - b);
  const pick = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  const line = `refresh latency over ${COUNT} sequential requests: median ${pick(0.5).toFixed(2)} ms, p90 ${pick(0.9).toFixed(2)} ms, max ${times.at(-1).toFixed(2)} ms`;
  t.diagnostic(line);
  console.log(`# ${line}`);
  assert.ok(pick(0.5) < 500, line);
});
