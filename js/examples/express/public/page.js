// The example app's page: sign in, watch the access token's lifetime, call the API, see and
// log out devices. Plain ES module, no framework, no build step.
//
// Where the credentials live:
//   - the access token: in this module's memory only (never localStorage, never a cookie), sent
//     as `Authorization: Bearer`; it is gone when the tab closes or reloads;
//   - the refresh token: in the app's httpOnly cookie (Path=/api), which no script can read;
//     `POST /api/refresh` turns it into a new access token, on load (a reload or a second tab
//     resumes the session) and in the background before the access token expires.
// Tabs do not coordinate their refreshes: the issuer answers concurrent refreshes with one
// refresh token (two tabs at once) with the same new one, so every tab stays signed in.
//
// The claims come from the `revocable` package's browser build: decodeJwt reads them without
// verifying (no key is needed, and the revocation feed's key never reaches a browser). They
// are for display and scheduling; the server decides access.

import { decodeJwt } from '/vendor/revocable/src/entry/web.js';

// Refresh this long before the access token expires (at most a fifth of its lifetime).
const REFRESH_MARGIN_S = 60;
// How often the device list is reloaded while signed in.
const DEVICES_EVERY_MS = 15_000;

const $ = (id) => document.getElementById(id);

/** @type {{ token: string, claims: Record<string, any>, receivedAt: number, expiresAt: number } | null} */
let session = null;
// The session ended while this page was signed in (revoked, logged out elsewhere).
let ended = false;
let refreshing = null;
let retryAt = 0;
let ticker = 0;
let devicesTimer = 0;

// ---------------------------------------------------------------- API calls

/** A JSON API call; resolves to {status, body}; a network failure is status 0. */
async function api(method, path, { body, auth = false } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth && session) headers.authorization = `Bearer ${session.token}`;
  try {
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    let json = null;
    try {
      json = await res.json();
    } catch {
      json = null;
    }
    return { status: res.status, body: json };
  } catch {
    return { status: 0, body: { error: 'network_error', error_description: 'the app is unreachable' } };
  }
}

/** A short human description of an error answer: its code (ERR_...) or OAuth error, and text. */
function describe({ status, body }) {
  if (status === 0) return 'The app is unreachable. Is `make dev` running?';
  const code = body?.code ?? body?.error ?? `HTTP ${status}`;
  const text = typeof body?.error_description === 'string' ? body.error_description : '';
  return text ? `${code}: ${text}` : code;
}

function accept(tokens) {
  const claims = decodeJwt(tokens.access_token);
  const now = Date.now();
  // Timed by this browser's clock from the answer's expires_in: a skewed clock does not matter.
  const lifetime = Number(tokens.expires_in) > 0 ? Number(tokens.expires_in) : Math.max(0, claims.exp - claims.iat);
  session = { token: tokens.access_token, claims, receivedAt: now, expiresAt: now + lifetime * 1000 };
  retryAt = 0;
}

/**
 * POST /api/refresh with the cookie: a new access token. One at a time per tab. `quiet` keeps
 * the status line unchanged (on load). Resolves to the answer's status.
 */
function refresh({ quiet = false } = {}) {
  refreshing ??= (async () => {
    if (!quiet) $('refresh-status').textContent = 'Refreshing…';
    const res = await api('POST', '/api/refresh');
    if (res.status === 200) {
      accept(res.body);
      render();
      if (!quiet) {
        $('refresh-status').textContent = `Refreshed at ${clock(Date.now())}`;
        loadDevices();
      }
    } else if (res.status === 401) {
      if (session) sessionEnded(`The refresh was refused (${describe(res)}).`);
    } else {
      // 503 / 502 / network: the refresh token is still good; try again shortly.
      retryAt = Date.now() + (res.status === 503 ? 1000 : 5000);
      if (!quiet) $('refresh-status').textContent = `Refresh failed (${describe(res)}); retrying.`;
    }
    return res.status;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// ---------------------------------------------------------------- views

function show(view) {
  $('loading').hidden = true;
  $('signed-out').hidden = view !== 'signed-out';
  $('signed-in').hidden = view !== 'signed-in';
}

function notice(text) {
  $('notice').textContent = text;
  $('notice').hidden = !text;
}

function signedOut(message = '') {
  session = null;
  ended = false;
  clearInterval(ticker);
  clearInterval(devicesTimer);
  $('ended').hidden = true;
  $('me-result').textContent = '';
  $('me-result').className = 'result';
  $('refresh-status').textContent = '';
  $('devices').replaceChildren();
  notice(message);
  show('signed-out');
  $('password').value = '';
  $('username').focus();
}

async function signedIn({ focus = true } = {}) {
  ended = false;
  $('ended').hidden = true;
  show('signed-in');
  render();
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
  clearInterval(devicesTimer);
  devicesTimer = setInterval(loadDevices, DEVICES_EVERY_MS);
  if (focus) $('who').focus();
  await loadDevices();
}

/** The session of this page ended (logged out from another device, revoked, expired). */
function sessionEnded(why) {
  if (ended) return;
  ended = true;
  clearInterval(devicesTimer);
  $('ended-text').textContent = `This device has been signed out. ${why}`;
  $('ended').hidden = false;
  for (const id of ['refresh', 'logout', 'logout-others', 'logout-all']) $(id).disabled = true;
  for (const button of $('devices').querySelectorAll('button')) button.disabled = true;
}

function render() {
  if (!session) return;
  const { claims } = session;
  const name = typeof claims.name === 'string' ? claims.name : claims.sub;
  $('name').textContent = name;
  $('avatar').textContent = String(name).slice(0, 1).toUpperCase();
  $('sub').textContent = claims.sub;
  $('scope').textContent = claims.scope ?? '(none)';
  for (const id of ['refresh', 'logout', 'logout-others', 'logout-all']) $(id).disabled = ended;
  tick();
}

// Every second: the countdown, and the background refresh when it is due.
function tick() {
  if (!session) return;
  const now = Date.now();
  const left = Math.max(0, Math.round((session.expiresAt - now) / 1000));
  const lifetime = Math.max(1, (session.expiresAt - session.receivedAt) / 1000);
  $('remaining').textContent = left > 0 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` : 'expired';
  $('meter').style.width = `${Math.min(100, (left / lifetime) * 100)}%`;
  $('meter').classList.toggle('low', left <= Math.min(REFRESH_MARGIN_S, lifetime / 5));
  if (!ended && left <= Math.min(REFRESH_MARGIN_S, lifetime / 5) && now >= retryAt) refresh();
}

// ---------------------------------------------------------------- devices

const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function when(seconds) {
  const date = new Date(seconds * 1000);
  const today = new Date().toDateString() === date.toDateString();
  return today ? clock(date) : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

function ago(seconds) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - seconds));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

function cell(...children) {
  const td = document.createElement('td');
  td.append(...children);
  return td;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let devices = [];

async function loadDevices() {
  if (!session || ended) return;
  const res = await api('GET', '/api/sessions', { auth: true });
  if (!session) return;
  if (res.status === 401) {
    // An expired access token is refreshed; a revoked one means the session ended.
    if (res.body?.code === 'ERR_JWT_EXPIRED' && (await refresh({ quiet: true })) === 200) return loadDevices();
    return sessionEnded(`The server refused the access token (${describe(res)}).`);
  }
  if (res.status !== 200) {
    $('devices-error').textContent = `Could not load the devices (${describe(res)}).`;
    $('devices-error').hidden = false;
    return;
  }
  $('devices-error').hidden = true;
  devices = [...res.body.sessions].sort((a, b) => Number(b.current) - Number(a.current) || b.last_used - a.last_used);
  const rows = devices.map((device) => {
    const tr = document.createElement('tr');
    if (device.current) tr.className = 'current';
    const label = element('span', 'session');
    // Ids of one user's sessions share a prefix (the issuer's per-user object): show the end.
    label.append(element('code', '', `…${device.id.slice(-8)}`));
    if (device.current) label.append(element('span', 'badge', 'this device'));
    let action;
    if (device.current) {
      action = element('span', 'muted small', '');
    } else {
      action = element('button', 'button small', 'Log out');
      action.type = 'button';
      action.append(element('span', 'visually-hidden', ` session …${device.id.slice(-8)}`));
      action.addEventListener('click', () => endDevices([device.id], action));
    }
    tr.append(cell(label), cell(when(device.created)), cell(ago(device.last_used)), cell(action));
    return tr;
  });
  $('devices').replaceChildren(...rows);
  $('logout-others').disabled = ended || !devices.some((d) => !d.current);
}

/** Ends the given sessions (other devices of this user), one DELETE each. */
async function endDevices(ids, button) {
  if (button) button.disabled = true;
  let done = 0;
  for (const id of ids) {
    const res = await api('DELETE', `/api/sessions/${encodeURIComponent(id)}`, { auth: true });
    if (res.status === 200) done += 1;
    else if (res.status === 401) return sessionEnded(`The server refused the access token (${describe(res)}).`);
    else if (res.status !== 404) {
      $('devices-error').textContent = `Could not log out a device (${describe(res)}).`;
      $('devices-error').hidden = false;
    }
  }
  notice(done === 1 ? 'Logged out 1 other device.' : `Logged out ${done} other devices.`);
  await loadDevices();
}

// ---------------------------------------------------------------- actions

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  const error = $('sign-in-error');
  error.hidden = true;
  if (!username || !password) {
    error.textContent = 'Enter a username and a password.';
    error.hidden = false;
    (username ? $('password') : $('username')).focus();
    return;
  }
  $('sign-in').disabled = true;
  $('sign-in').textContent = 'Signing in…';
  const res = await api('POST', '/api/login', { body: { username, password } });
  $('sign-in').disabled = false;
  $('sign-in').textContent = 'Sign in';
  if (res.status === 200) {
    accept(res.body);
    notice('');
    $('password').value = '';
    await signedIn();
    return;
  }
  error.textContent =
    res.body?.error === 'invalid_credentials' ? 'Wrong username or password.' : `Sign-in failed (${describe(res)}).`;
  error.hidden = false;
  $('password').select();
  $('password').focus();
});

for (const button of document.querySelectorAll('[data-demo-user]')) {
  button.addEventListener('click', () => {
    $('username').value = button.dataset.demoUser;
    $('password').value = `${button.dataset.demoUser}-demo-password`;
    $('sign-in').focus();
  });
}

$('call-me').addEventListener('click', async () => {
  const out = $('me-result');
  out.className = 'result pending';
  out.textContent = 'Calling…';
  const res = await api('GET', '/api/me', { auth: true });
  if (res.status === 200) {
    out.className = 'result ok';
    out.textContent = `200 OK · ${res.body.name ?? res.body.sub} (${res.body.sub})`;
  } else {
    out.className = 'result fail';
    out.textContent = `${res.status || 'no answer'} · ${describe(res)}`;
  }
});

$('refresh').addEventListener('click', () => refresh());

$('logout').addEventListener('click', async () => {
  const res = await api('POST', '/api/logout', { auth: true });
  if (res.status === 200) signedOut('Signed out on this device.');
  else sessionEnded(`Logging out failed (${describe(res)}).`);
});

$('logout-others').addEventListener('click', () =>
  endDevices(
    devices.filter((d) => !d.current).map((d) => d.id),
    $('logout-others'),
  ),
);

$('logout-all').addEventListener('click', async () => {
  const res = await api('POST', '/api/logout-all', { auth: true });
  if (res.status === 200) {
    const n = res.body.revoked_sessions;
    signedOut(`Signed out everywhere (${n} ${n === 1 ? 'session' : 'sessions'} ended).`);
  } else {
    sessionEnded(`Logging out everywhere failed (${describe(res)}).`);
  }
});

$('sign-in-again').addEventListener('click', () => signedOut());

// Back to a visible tab: the timers may have been throttled; catch up at once.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session) {
    tick();
    loadDevices();
  }
});

// On load: a session cookie (a reload, a second tab) resumes the session.
if ((await refresh({ quiet: true })) === 200) await signedIn({ focus: false });
else signedOut();
document.body.dataset.ready = 'true';
