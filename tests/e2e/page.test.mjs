// The example app's page, used the way a person uses it: Debian's headless Chromium drives the
// real page (js/examples/express/public) against the real issuer and app, started with
// `make dev` (this suite's ports, a temporary state directory, a 1 s revocation feed).
//
// The browser is driven over the Chrome DevTools Protocol on a pipe (--remote-debugging-pipe:
// JSON messages separated by NUL bytes on file descriptors 3 and 4), so no driver library and
// no downloaded browser are needed. Two browser contexts (separate cookie jars) are two
// devices; two pages of one context are two tabs.
//
//   - GET / under a strict CSP, no inline script or style, the package's browser build served;
//   - sign in by keyboard: "Signed in as Alice", GET /api/me answers 200; every control has an
//     accessible name; the access token is in memory only, the refresh token in an httpOnly cookie;
//   - two tabs refresh at the same moment with one refresh token: both stay signed in;
//   - another device ends the first ("log out other devices"): the first page's next
//     GET /api/me is 401 ERR_JWT_REVOKED within one feed interval (plus the probe's own time);
//   - "log out everywhere" from one device ends both;
//   - a wrong password shows an error, never a stack trace;
//   - GET/DELETE /api/sessions touch only the caller's own sessions;
//   - screenshots (not committed): target/e2e/page-signed-in.png, page-sign-in-error.png.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CHROMIUM, CHROMIUM_HEADLESS_ARGS, ROOT, assertChromium, http, portFree, sleep, startDev, tempDir } from '../lib/index.mjs';

const ISSUER_PORT = 18630;
const INSPECTOR_PORT = 18631;
const APP_PORT = 18632;
const INTERVAL_MS = 1000;
// A revoked token is refused at the app's next feed poll (at most one interval); the rest is
// the page's own probe (a click, a request, a render) on a shared 2-core machine.
const REVOKED_WITHIN_MS = INTERVAL_MS + 1000;
const APP = `http://127.0.0.1:${APP_PORT}`;
const SCREENSHOT = join(ROOT, 'target', 'e2e', 'page-signed-in.png');
const SIGN_IN_SCREENSHOT = join(ROOT, 'target', 'e2e', 'page-sign-in-error.png');
const PASSWORDS = { alice: 'alice-demo-password', bob: 'bob-demo-password' };

let dev;
let browser;
// Every page opened, for the final check of CSP violations and script errors.
const pages = [];

// ------------------------------------------------------------------ the DevTools protocol

/** Chromium with a DevTools pipe; `send` calls a method, `on` listens to events. */
function launchChromium(profile) {
  const child = spawn(
    CHROMIUM,
    [
      ...CHROMIUM_HEADLESS_ARGS,
      '--hide-scrollbars',
      '--font-render-hinting=none',
      // Pages of other tabs keep their timers running (a headless tab is never in front).
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stdio[2].on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const toBrowser = child.stdio[3];
  const fromBrowser = child.stdio[4];
  const pending = new Map();
  const listeners = new Map();
  let nextId = 0;
  let buffer = '';
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) call?.reject(new Error(`${call.method}: ${message.error.message}`));
        else call?.resolve(message.result);
      } else {
        for (const listener of listeners.get(message.method) ?? []) listener(message.params, message.sessionId);
      }
    }
  });
  child.on('exit', () => {
    for (const call of pending.values()) call.reject(new Error(`chromium exited during ${call.method}: ${stderr}`));
    pending.clear();
  });
  return {
    child,
    send(method, params = {}, sessionId) {
      return new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject, method });
        toBrowser.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
      });
    },
    on(method, listener) {
      if (!listeners.has(method)) listeners.set(method, []);
      listeners.get(method).push(listener);
    },
  };
}

/** A page (tab) in browser context `contextId`, attached, with its events recorded. */
async function openPage(contextId, name, { width = 1000, height = 1100 } = {}) {
  const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank', browserContextId: contextId });
  const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
  const send = (method, params) => browser.send(method, params, sessionId);
  const page = {
    name,
    sessionId,
    contextId,
    send,
    // Log entries (CSP violations are `security` ones), uncaught exceptions.
    log: [],
    exceptions: [],
    // requestId -> { url, wallTime, cookie }
    requests: new Map(),
  };
  browser.on('Log.entryAdded', ({ entry }, sid) => sid === sessionId && page.log.push(entry));
  browser.on('Runtime.exceptionThrown', ({ exceptionDetails }, sid) => sid === sessionId && page.exceptions.push(exceptionDetails));
  browser.on('Network.requestWillBeSent', ({ requestId, request, wallTime }, sid) => {
    if (sid !== sessionId) return;
    page.requests.set(requestId, { ...page.requests.get(requestId), url: request.url, method: request.method, wallTime });
  });
  browser.on('Network.requestWillBeSentExtraInfo', ({ requestId, headers }, sid) => {
    if (sid !== sessionId) return;
    const cookie = Object.entries(headers).find(([key]) => key.toLowerCase() === 'cookie')?.[1];
    page.requests.set(requestId, { ...page.requests.get(requestId), cookie });
  });
  await Promise.all([send('Page.enable'), send('Runtime.enable'), send('Log.enable'), send('Network.enable')]);
  await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  pages.push(page);
  return page;
}

/** Evaluates `expression` in the page (awaiting a promise); its value. */
async function evaluate(page, expression) {
  const { result, exceptionDetails } = await page.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
  if (exceptionDetails) throw new Error(`${page.name}: ${expression}: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
  return result.value;
}

/** Waits until `expression` is truthy in the page; its value. */
async function waitFor(page, expression, { timeoutMs = 15_000, what = expression } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await evaluate(page, expression).catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) {
      const body = await evaluate(page, 'document.body?.innerText').catch(() => '(no body)');
      throw new Error(`${page.name}: not within ${timeoutMs} ms: ${what}\npage text:\n${body}`);
    }
    await sleep(25);
  }
}

/** Loads the app's page and waits until its module has decided: signed in or out. */
async function load(page) {
  // The marker of the document being replaced must not count.
  await evaluate(page, 'document.body && delete document.body.dataset.ready');
  await page.send('Page.navigate', { url: `${APP}/` });
  await waitFor(page, `document.readyState === 'complete' && document.body.dataset.ready === 'true'`, { what: 'the page is ready' });
}

const text = (page, id) => evaluate(page, `document.getElementById(${JSON.stringify(id)}).textContent.trim()`);
const visible = (page, id) => evaluate(page, `document.getElementById(${JSON.stringify(id)}).checkVisibility()`);
const click = (page, id) => evaluate(page, `document.getElementById(${JSON.stringify(id)}).click()`);

/** A key press (keyDown + keyUp), as a keyboard sends it. */
async function press(page, key) {
  const keys = { Tab: { code: 'Tab', windowsVirtualKeyCode: 9 }, Enter: { code: 'Enter', windowsVirtualKeyCode: 13, text: '\r' } };
  await page.send('Input.dispatchKeyEvent', { type: 'keyDown', key, ...keys[key] });
  await page.send('Input.dispatchKeyEvent', { type: 'keyUp', key, ...keys[key], text: undefined });
}

const typeText = (page, value) => page.send('Input.insertText', { text: value });

/** Signs in through the form (fills it, clicks "Sign in") and waits for the signed-in view. */
async function signIn(page, username) {
  await evaluate(
    page,
    `(() => {
      document.getElementById('username').value = ${JSON.stringify(username)};
      document.getElementById('password').value = ${JSON.stringify(PASSWORDS[username])};
      document.getElementById('sign-in').click();
    })()`,
  );
  await waitFor(page, `document.getElementById('signed-in').checkVisibility() && document.getElementById('devices').rows.length > 0`, {
    what: `${username} is signed in and the devices are listed`,
  });
}

/** Clicks "Call GET /api/me" and resolves to the answer the page shows. */
async function callMe(page) {
  await evaluate(page, `document.getElementById('me-result').textContent = ''`);
  await click(page, 'call-me');
  return waitFor(
    page,
    `(() => { const t = document.getElementById('me-result').textContent; return t && t !== 'Calling…' ? t : null; })()`,
    { what: 'the answer of /api/me' },
  );
}

/** Calls /api/me from the page until it shows a 401; resolves with the ms since `since`. */
async function untilRefused(page, since) {
  for (;;) {
    const shown = await callMe(page);
    const elapsed = Date.now() - since;
    if (shown.startsWith('401')) return { elapsed, shown };
    assert.match(shown, /^200 OK/, `${page.name}: ${shown}`);
    assert.ok(elapsed < REVOKED_WITHIN_MS + 5000, `${page.name}: still 200 after ${elapsed} ms`);
    await sleep(20);
  }
}

/**
 * Every input, button, select and textarea the page shows has a non-empty accessible name
 * (Chromium's computed one), and every input has a <label>.
 */
async function assertLabelled(page, view) {
  const dom = await evaluate(
    page,
    `[...document.querySelectorAll('input, button, select, textarea')].filter((e) => e.checkVisibility())
      .map((e) => ({ tag: e.tagName.toLowerCase(), id: e.id, labels: e.labels ? e.labels.length : 0, text: e.textContent.trim() }))`,
  );
  assert.ok(dom.length > 0, `${view}: the page shows controls`);
  for (const control of dom.filter((c) => c.tag === 'input')) assert.ok(control.labels > 0, `${view}: input #${control.id} has a <label>`);
  const { nodes } = await page.send('Accessibility.getFullAXTree');
  const roles = new Set(['button', 'textbox', 'combobox', 'checkbox', 'radio', 'listbox', 'searchbox', 'spinbutton', 'slider', 'switch']);
  const controls = nodes.filter((n) => !n.ignored && roles.has(n.role?.value));
  assert.equal(controls.length, dom.length, `${view}: every visible control is in the accessibility tree`);
  for (const node of controls) {
    assert.ok(String(node.name?.value ?? '').trim(), `${view}: a ${node.role.value} without an accessible name`);
  }
  return controls.map((n) => `${n.role.value} "${n.name.value}"`);
}

/** The value of the httpOnly session cookie in browser context `contextId`. */
async function sessionCookie(contextId) {
  const { cookies } = await browser.send('Storage.getCookies', { browserContextId: contextId });
  return cookies.find((c) => c.name === 'revocable_session');
}

// ------------------------------------------------------------------ setup

before(async () => {
  assertChromium();
  for (const port of [ISSUER_PORT, INSPECTOR_PORT, APP_PORT]) {
    assert.ok(await portFree(port), `port ${port} is busy: a leftover test server? (ports 18600-18699 belong to tests/e2e)`);
  }
  const dir = tempDir('e2e-page');
  dev = await startDev({ issuerPort: ISSUER_PORT, inspectorPort: INSPECTOR_PORT, appPort: APP_PORT, dir, intervalMs: INTERVAL_MS });
  browser = launchChromium(join(dir, 'chromium'));
  const version = await browser.send('Browser.getVersion');
  console.log(`# ${version.product} (headless, DevTools pipe)`);
});

after(async () => {
  if (browser) {
    await Promise.race([browser.send('Browser.close').catch(() => {}), sleep(5000)]);
    try {
      process.kill(-browser.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (dev) await dev.stop('SIGINT');
});

// ------------------------------------------------------------------ the tests

test('make dev prints the page; GET / is one static page under a strict CSP, with the package\'s browser build', async () => {
  assert.ok(dev.output().includes(`Open the example app's page in a browser: ${APP}/`), 'make dev prints the page URL');
  const page = await http(`${APP}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const csp = page.headers.get('content-security-policy');
  assert.ok(csp, 'GET / has a Content-Security-Policy');
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  assert.deepEqual(directives['default-src'], ["'none'"]);
  assert.deepEqual(directives['script-src'], ["'self'"]);
  assert.deepEqual(directives['style-src'], ["'self'"]);
  assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  // No inline script, no inline style, no inline event handler: the CSP would block them.
  assert.doesNotMatch(page.text, /<script(?![^>]*\ssrc=)[^>]*>/i);
  assert.doesNotMatch(page.text, /<style|\sstyle=|\son[a-z]+=/i);
  assert.match(page.text, /<script type="module" src="\/page\.js"><\/script>/);

  const module = await http(`${APP}/page.js`);
  assert.equal(module.status, 200);
  assert.match(module.headers.get('content-type'), /^text\/javascript|^application\/javascript/);
  assert.match(module.text, /from '\/vendor\/revocable\/src\/entry\/web\.js'/, 'the page imports the browser build');
  for (const path of ['/vendor/revocable/src/entry/web.js', '/vendor/revocable/src/decode.js', '/vendor/revocable/dist/wasm/web.js', '/vendor/revocable/dist/wasm/revocable_wasm_bg.wasm', '/page.css']) {
    assert.equal((await http(`${APP}${path}`)).status, 200, path);
  }
  for (const path of ['/vendor/revocable/dist/wasm/node.cjs', '/vendor/revocable/package.json', '/vendor/revocable/src/../package.json', '/index.htm']) {
    const res = await http(`${APP}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal(res.json?.error, 'not_found', path);
  }
});

// Shared by the tests below, in order: two tabs of device A, then device B.
let deviceA;
let deviceB;
let tab1;
let tab2;
let tab3;

test('sign in by keyboard: "Signed in as Alice", /api/me answers 200, every control is labelled, the token is in memory only', async () => {
  ({ browserContextId: deviceA } = await browser.send('Target.createBrowserContext'));
  tab1 = await openPage(deviceA, 'device A, tab 1');
  await load(tab1);
  assert.ok(await visible(tab1, 'signed-out'), 'a new visitor sees the sign-in form');
  const signedOutControls = await assertLabelled(tab1, 'sign-in form');
  console.log(`# sign-in form controls: ${signedOutControls.join(', ')}`);

  // The keyboard alone: the username field has the focus; type, Tab, type, Enter.
  assert.equal(await evaluate(tab1, 'document.activeElement.id'), 'username');
  await typeText(tab1, 'alice');
  await press(tab1, 'Tab');
  assert.equal(await evaluate(tab1, 'document.activeElement.id'), 'password');
  await typeText(tab1, PASSWORDS.alice);
  await press(tab1, 'Enter');
  await waitFor(tab1, `document.getElementById('signed-in').checkVisibility()`, { what: 'the signed-in view' });
  assert.equal(await text(tab1, 'who'), 'Signed in as Alice');
  assert.equal(await evaluate(tab1, 'document.activeElement.id'), 'who', 'the focus moves to the new view');
  assert.match(await text(tab1, 'remaining'), /^[45]:\d\d$/, 'the access token has about 5 minutes left');
  assert.equal(await text(tab1, 'scope'), 'profile admin');

  // The button, by keyboard too: Tab until it has the focus, then Enter.
  for (let i = 0; i < 10 && (await evaluate(tab1, 'document.activeElement.id')) !== 'call-me'; i += 1) await press(tab1, 'Tab');
  assert.equal(await evaluate(tab1, 'document.activeElement.id'), 'call-me', 'Tab reaches "Call GET /api/me"');
  await press(tab1, 'Enter');
  const shown = await waitFor(tab1, `(() => { const t = document.getElementById('me-result').textContent; return t && t !== 'Calling…' ? t : null; })()`);
  assert.equal(shown, '200 OK · Alice (user_alice)');

  // The countdown counts down.
  const first = await text(tab1, 'remaining');
  await waitFor(tab1, `document.getElementById('remaining').textContent !== ${JSON.stringify(first)}`, { what: 'the countdown moves' });

  // One device, this one.
  await waitFor(tab1, `document.getElementById('devices').rows.length === 1`);
  assert.match(await evaluate(tab1, `document.getElementById('devices').rows[0].textContent`), /this device/);
  const signedInControls = await assertLabelled(tab1, 'signed-in view');
  console.log(`# signed-in view controls: ${signedInControls.join(', ')}`);

  // Where the credentials are: the access token nowhere but in the module's memory; the
  // refresh token in an httpOnly, SameSite=Strict cookie scripts cannot see.
  assert.deepEqual(await evaluate(tab1, `[localStorage.length, sessionStorage.length, document.cookie]`), [0, 0, '']);
  const cookie = await sessionCookie(deviceA);
  assert.ok(cookie, 'the session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/api');
});

test('the page refreshes in the background before the access token expires', async () => {
  const refreshes = () => [...tab1.requests.values()].filter((r) => r.url === `${APP}/api/refresh`).length;
  const before = refreshes();
  const session = `document.querySelector('#devices tr.current code').textContent`;
  const sid = await evaluate(tab1, session);
  // Four minutes and ten seconds pass for the page (its clock jumps): 50 s are left, less than
  // the refresh margin, so its next tick refreshes with no click.
  await evaluate(tab1, `(() => { const real = Date.now.bind(Date); Date.now = () => real() + 250_000; })()`);
  await waitFor(tab1, `/^Refreshed at /.test(document.getElementById('refresh-status').textContent)`, { what: 'a background refresh' });
  assert.equal(refreshes(), before + 1, 'one refresh');
  assert.match(await text(tab1, 'remaining'), /^(5:00|4:5\d)$/, 'a fresh access token: about 5 minutes again');
  assert.equal(await callMe(tab1), '200 OK · Alice (user_alice)');
  assert.equal(await evaluate(tab1, session), sid, 'the same session');
  await sleep(1500);
  assert.equal(refreshes(), before + 1, 'and no more refreshes after it');
});

test('two tabs of one browser refresh at the same moment with one refresh token: both stay signed in', async () => {
  tab2 = await openPage(deviceA, 'device A, tab 2');
  await load(tab2);
  // The second tab resumes the session from the cookie: the same session, no new sign-in.
  assert.ok(await visible(tab2, 'signed-in'), 'the second tab is signed in from the cookie');
  assert.equal(await text(tab2, 'who'), 'Signed in as Alice');
  await waitFor(tab2, `document.getElementById('devices').rows.length === 1`, { what: 'one device: both tabs share the session' });

  const before = (await sessionCookie(deviceA)).value;
  for (const tab of [tab1, tab2]) tab.requests.clear();
  // Both tabs click "Refresh now" at one instant of the wall clock (performance.timeOrigin +
  // performance.now(): tab 1's Date.now runs ahead since the test above).
  const at = Date.now() + 500;
  await Promise.all(
    [tab1, tab2].map((tab) =>
      evaluate(
        tab,
        `document.getElementById('refresh-status').textContent = '';
        setTimeout(() => document.getElementById('refresh').click(), ${at} - (performance.timeOrigin + performance.now()))`,
      ),
    ),
  );
  for (const tab of [tab1, tab2]) {
    const status = await waitFor(tab, `(() => { const t = document.getElementById('refresh-status').textContent; return t && t !== 'Refreshing…' ? t : null; })()`);
    assert.match(status, /^Refreshed at /, `${tab.name}: ${status}`);
  }
  const sent = [tab1, tab2].map((tab) => [...tab.requests.values()].filter((r) => r.url === `${APP}/api/refresh`));
  assert.deepEqual(sent.map((s) => s.length), [1, 1], 'one refresh from each tab');
  assert.equal(sent[0][0].cookie, `revocable_session=${before}`, 'tab 1 refreshed with the refresh token of before');
  assert.equal(sent[1][0].cookie, `revocable_session=${before}`, 'tab 2 refreshed with the same refresh token');
  console.log(`# two tabs: both refreshes sent with one refresh token, ${Math.round(Math.abs(sent[0][0].wallTime - sent[1][0].wallTime) * 1000)} ms apart`);
  const rotated = (await sessionCookie(deviceA)).value;
  assert.notEqual(rotated, before, 'the refresh token rotated');

  // Both tabs stay signed in: their new access tokens work, and the session refreshes on.
  for (const tab of [tab1, tab2]) {
    assert.equal(await visible(tab, 'ended'), false, `${tab.name} is not signed out`);
    assert.equal(await callMe(tab), '200 OK · Alice (user_alice)', tab.name);
  }
  for (const tab of [tab1, tab2]) {
    await evaluate(tab, `document.getElementById('refresh-status').textContent = ''; document.getElementById('refresh').click()`);
    const status = await waitFor(tab, `(() => { const t = document.getElementById('refresh-status').textContent; return t && t !== 'Refreshing…' ? t : null; })()`);
    assert.match(status, /^Refreshed at /, `${tab.name} refreshes again: ${status}`);
    assert.equal(await callMe(tab), '200 OK · Alice (user_alice)', tab.name);
  }
  assert.equal(await visible(tab1, 'ended'), false);
  assert.equal(await visible(tab2, 'ended'), false);
});

test('another device logs the first out ("log out other devices"): its next /api/me is 401 ERR_JWT_REVOKED within one feed interval', async () => {
  ({ browserContextId: deviceB } = await browser.send('Target.createBrowserContext'));
  tab3 = await openPage(deviceB, 'device B', { width: 1000, height: 920 });
  await load(tab3);
  assert.ok(await visible(tab3, 'signed-out'), 'device B has no session yet');
  // The demo-user button fills the form.
  await evaluate(tab3, `document.querySelector('[data-demo-user="alice"]').click()`);
  assert.equal(await evaluate(tab3, `document.getElementById('username').value`), 'alice');
  await click(tab3, 'sign-in');
  await waitFor(tab3, `document.getElementById('devices').rows.length === 2`, { what: 'device B lists two devices' });
  const rows = await evaluate(tab3, `[...document.getElementById('devices').rows].map((r) => r.textContent)`);
  assert.equal(rows.filter((r) => r.includes('this device')).length, 1, 'exactly one row is this device');
  assert.match(rows[0], /this device/, 'this device first');
  assert.equal(await callMe(tab3), '200 OK · Alice (user_alice)');
  await assertLabelled(tab3, 'signed-in view with two devices');

  // The screenshot: the signed-in page with two devices and a 200.
  await evaluate(tab3, `document.getElementById('refresh-status').textContent = ''`);
  await sleep(1100);
  const { data } = await tab3.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
  mkdirSync(join(ROOT, 'target', 'e2e'), { recursive: true });
  writeFileSync(SCREENSHOT, Buffer.from(data, 'base64'));
  console.log(`# screenshot: ${SCREENSHOT}`);

  await click(tab3, 'logout-others');
  await waitFor(tab3, `document.getElementById('notice').textContent === 'Logged out 1 other device.'`, { what: 'device B logged out the other device' });
  const loggedOutAt = Date.now();
  await waitFor(tab3, `document.getElementById('devices').rows.length === 1`, { what: 'device B lists itself only' });

  const { elapsed, shown } = await untilRefused(tab1, loggedOutAt);
  console.log(`# page: device A's /api/me refused ${elapsed} ms after device B logged it out (feed every ${INTERVAL_MS} ms)`);
  assert.match(shown, /^401 · ERR_JWT_REVOKED: token revoked \(by .sid.\)$/);
  assert.ok(elapsed <= REVOKED_WITHIN_MS, `refused after ${elapsed} ms (limit ${REVOKED_WITHIN_MS} ms)`);
  assert.match(await callMe(tab2), /^401 · ERR_JWT_REVOKED/, 'the other tab of device A too');

  // Device A's refresh token is refused as well: the page says it has been signed out.
  await evaluate(tab1, `document.getElementById('refresh').click()`);
  await waitFor(tab1, `document.getElementById('ended').checkVisibility()`, { what: 'device A shows that it was signed out' });
  assert.match(await text(tab1, 'ended-text'), /^This device has been signed out\. The refresh was refused \(invalid_grant: /);
  assert.equal(await evaluate(tab1, `document.getElementById('logout-all').disabled`), true);
  // Device B is untouched.
  assert.equal(await callMe(tab3), '200 OK · Alice (user_alice)');
});

test('"log out everywhere" from one device ends both', async () => {
  // Device A signs in again (tab 1); tab 2 resumes from the new cookie.
  await click(tab1, 'sign-in-again');
  await waitFor(tab1, `document.getElementById('signed-out').checkVisibility()`);
  await signIn(tab1, 'alice');
  await load(tab2);
  assert.equal(await text(tab2, 'who'), 'Signed in as Alice');
  for (const tab of [tab1, tab2, tab3]) assert.equal(await callMe(tab), '200 OK · Alice (user_alice)', tab.name);

  await click(tab3, 'logout-all');
  await waitFor(tab3, `document.getElementById('signed-out').checkVisibility()`, { what: 'device B is signed out' });
  const at = Date.now();
  assert.equal(await text(tab3, 'notice'), 'Signed out everywhere (2 sessions ended).');
  assert.equal(await evaluate(tab3, 'document.activeElement.id'), 'username');

  const { elapsed, shown } = await untilRefused(tab1, at);
  console.log(`# page: "log out everywhere" reached device A's access token after ${elapsed} ms`);
  assert.match(shown, /^401 · ERR_JWT_REVOKED/);
  assert.ok(elapsed <= REVOKED_WITHIN_MS, `refused after ${elapsed} ms (limit ${REVOKED_WITHIN_MS} ms)`);
  // Neither device has a session left: a reload shows the sign-in form on both.
  for (const tab of [tab2, tab3]) {
    await load(tab);
    assert.ok(await visible(tab, 'signed-out'), `${tab.name}: signed out after a reload`);
  }
});

test('a wrong password shows an error, not a stack trace', async () => {
  await load(tab3);
  await evaluate(
    tab3,
    `document.getElementById('username').value = 'alice'; document.getElementById('password').value = 'not-the-password'; document.getElementById('sign-in').click()`,
  );
  await waitFor(tab3, `document.getElementById('sign-in-error').checkVisibility()`, { what: 'the error shows' });
  const { data } = await tab3.send('Page.captureScreenshot', { format: 'png' });
  writeFileSync(SIGN_IN_SCREENSHOT, Buffer.from(data, 'base64'));
  assert.equal(await text(tab3, 'sign-in-error'), 'Wrong username or password.');
  assert.ok(await visible(tab3, 'signed-out'), 'still signed out');
  assert.equal(await evaluate(tab3, 'document.activeElement.id'), 'password', 'the focus is back on the password');
  assert.equal(await evaluate(tab3, `document.getElementById('sign-in-error').getAttribute('role')`), 'alert', 'announced to screen readers');
  const body = await evaluate(tab3, 'document.body.innerText');
  assert.doesNotMatch(body, /\bat .+\.js:\d+|Error:|TypeError|undefined/, 'no stack trace or raw error in the page');
  // Empty fields are caught by the page itself.
  await evaluate(tab3, `document.getElementById('password').value = ''; document.getElementById('sign-in').click()`);
  await waitFor(tab3, `document.getElementById('sign-in-error').textContent === 'Enter a username and a password.'`);
});

test('GET and DELETE /api/sessions reach only the caller\'s own sessions', async () => {
  const login = async (username) => {
    const res = await http(`${APP}/api/login`, { method: 'POST', json: { username, password: PASSWORDS[username] } });
    assert.equal(res.status, 200, res.text);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('revocable_session=')).split(';')[0];
    return { token: res.json.access_token, cookie, bearer: { authorization: `Bearer ${res.json.access_token}` } };
  };
  const alice = await login('alice');
  const bob = await login('bob');
  const mine = await http(`${APP}/api/sessions`, { headers: bob.bearer });
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.headers.get('cache-control'), 'no-store');
  assert.equal(mine.json.sessions.length, 1);
  const [session] = mine.json.sessions;
  assert.deepEqual(Object.keys(session).sort(), ['created', 'current', 'expires', 'id', 'last_used']);
  assert.equal(session.current, true);
  for (const field of ['created', 'last_used', 'expires']) assert.ok(Number.isInteger(session[field]), field);
  const bobSid = JSON.parse(Buffer.from(bob.token.split('.')[1], 'base64url')).sid;
  assert.equal(session.id, bobSid, "the session's id is the access token's sid");

  // Alice cannot end Bob's session: 404, as for an id that does not exist, and it lives on.
  for (const id of [bobSid, 'no-such-session', '..']) {
    const res = await http(`${APP}/api/sessions/${encodeURIComponent(id)}`, { method: 'DELETE', headers: alice.bearer });
    assert.equal(res.status, 404, `${id}: ${res.text}`);
    assert.deepEqual(Object.keys(res.json), ['error', 'error_description']);
    assert.equal(res.json.error, 'not_found');
  }
  assert.equal((await http(`${APP}/api/me`, { headers: bob.bearer })).status, 200);
  assert.equal((await http(`${APP}/api/refresh`, { method: 'POST', headers: { cookie: bob.cookie } })).status, 200, "Bob's session survived");

  const unauthenticated = await http(`${APP}/api/sessions`);
  assert.equal(unauthenticated.status, 401);
  assert.equal(unauthenticated.headers.get('www-authenticate'), 'Bearer realm="api"');
  const crossSite = await http(`${APP}/api/sessions/${bobSid}`, { method: 'DELETE', headers: { ...bob.bearer, 'sec-fetch-site': 'cross-site' } });
  assert.equal(crossSite.status, 403);

  // Bob ends his own session (this device): the cookie is cleared, the token is refused soon.
  const ended = await http(`${APP}/api/sessions/${bobSid}`, { method: 'DELETE', headers: { ...bob.bearer, cookie: bob.cookie } });
  assert.equal(ended.status, 200, ended.text);
  assert.deepEqual(ended.json, { logged_out: true, session_id: bobSid, current: true });
  assert.match(ended.headers.getSetCookie().join('\n'), /^revocable_session=;/m, 'the cookie is cleared');
  assert.equal((await http(`${APP}/api/sessions/${bobSid}`, { method: 'DELETE', headers: alice.bearer })).status, 404);
});

test('no Content-Security-Policy violation and no script error on any page', () => {
  assert.ok(pages.length >= 3);
  for (const page of pages) {
    const violations = page.log.filter((e) => e.source === 'security' || /Content Security Policy/i.test(e.text));
    assert.deepEqual(violations.map((e) => e.text), [], `${page.name}: CSP violations`);
    assert.deepEqual(page.exceptions.map((e) => e.exception?.description ?? e.text), [], `${page.name}: uncaught exceptions`);
    // The only errors logged are the answers the tests asked for (401s after a logout).
    const other = page.log.filter((e) => e.level === 'error' && !/status of 401/.test(e.text));
    assert.deepEqual(other.map((e) => `${e.source}: ${e.text} ${e.url ?? ''}`), [], `${page.name}: console errors`);
  }
});
