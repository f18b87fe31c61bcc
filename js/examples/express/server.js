// Starts the example API (app.js). Configuration from the environment:
//
//   PORT                    default 3000          HOST  default 127.0.0.1
//   ISSUER_URL              default http://127.0.0.1:8787 (the issuer's `iss` and base URL)
//   AUDIENCE                default api
//   ISSUER_SERVICE_KEY      the issuer's service key, for the app's calls to the issuer
//                           (sessions, logout); if unset, read from DEV_VARS
//   FEED_KEY                the issuer's read-only feed key, for the verifier's revocation
//                           feed; if unset, read from DEV_VARS
//   DEV_VARS                default <repository>/.dev.vars (written by `make keys`)
//   REVOCATION_INTERVAL_MS  how often the verifier polls the revocation feed, default 5000
//   COOKIE_SECURE           default true; false only for plain-http hosts other than
//                           127.0.0.1 / localhost (browsers send Secure cookies to those)
//   STARTUP_TIMEOUT_MS      how long to wait for the issuer at startup, default 60000
//
// The endpoints of the verifier come from the issuer's RFC 8414 metadata.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createVerifier } from 'revocable';
import { createApp } from './app.js';
import { issuerClient } from './issuer.js';

const env = process.env;
const port = Number(env.PORT ?? 3000);
const host = env.HOST ?? '127.0.0.1';
const issuerUrl = (env.ISSUER_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
const audience = env.AUDIENCE ?? 'api';
const intervalMs = Number(env.REVOCATION_INTERVAL_MS ?? 5000);
const secureCookie = (env.COOKIE_SECURE ?? 'true') !== 'false';
const startupTimeoutMs = Number(env.STARTUP_TIMEOUT_MS ?? 60_000);

function fail(message) {
  console.error(`example app: ${message}`);
  process.exit(1);
}

/** `name` from the environment, else from DEV_VARS (the dotenv file `make keys` writes). */
function devVar(name) {
  if (env[name]) return env[name];
  const file = env.DEV_VARS ?? fileURLToPath(new URL('../../../.dev.vars', import.meta.url));
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    fail(`no ${name} in the environment and ${file} is unreadable (run \`make keys\`)`);
  }
  const value = new RegExp(`^${name}=['"]?([^'"\\r\\n]+)['"]?$`, 'm').exec(text)?.[1];
  if (!value) fail(`${file} has no ${name} line (run \`make keys\`)`);
  return value;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The issuer's metadata, retried until it answers (it may still be starting). */
async function discover() {
  const deadline = Date.now() + startupTimeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const res = await fetch(`${issuerUrl}/.well-known/oauth-authorization-server`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return await res.json();
      throw new Error(`http ${res.status}`);
    } catch (err) {
      if (Date.now() > deadline) fail(`the issuer at ${issuerUrl} did not answer within ${startupTimeoutMs} ms (${err.message})`);
      if (attempt === 1) console.log(`example app: waiting for the issuer at ${issuerUrl} ...`);
      await sleep(1000);
    }
  }
}

// The backend's credential (sessions, logout) and the verifier's (the revocation feed only).
const serviceKey = devVar('ISSUER_SERVICE_KEY');
const feedKey = devVar('FEED_KEY');
const metadata = await discover();
if (metadata.issuer !== issuerUrl) {
  fail(`the issuer at ${issuerUrl} calls itself ${JSON.stringify(metadata.issuer)}: set ISSUER_URL to that (it is the tokens' iss)`);
}
const verifier = await createVerifier({
  issuer: metadata.issuer,
  audience,
  jwksUri: metadata.jwks_uri,
  revocationUri: metadata.revocation_feed_uri,
  // The feed key, not the service key: the verifier only reads the revocation feed.
  feedKey,
  revocationIntervalMs: intervalMs,
  typ: 'at+jwt',
}).catch((err) => fail(`cannot start the verifier: ${err.code ?? err.name}: ${err.message}`));

const app = createApp({ verifier, issuer: issuerClient({ url: issuerUrl, serviceKey }), secureCookie });
const server = app.listen(port, host, (err) => {
  // Express 5 passes a listen error here too; the 'error' handler below reports it.
  if (err) return;
  console.log(`example app: listening on http://${host}:${port} (issuer ${issuerUrl}, revocation feed every ${intervalMs} ms)`);
});
server.on('error', (err) => fail(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`));

function shutdown(signal) {
  console.log(`example app: ${signal}, shutting down`);
  verifier.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Never hang on a stuck connection.
  setTimeout(() => process.exit(0), 3000).unref();
}
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
