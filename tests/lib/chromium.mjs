// Debian's headless Chromium, as the suites that drive a real browser start it
// (js/test/browser.test.mjs, tests/e2e/page.test.mjs).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';

/** The browser binary: $CHROMIUM, else the one `make tools` installs. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/**
 * The flags of every headless run: no sandbox (containers), no GPU, no shared-memory files,
 * no traffic or windows of its own (updates, sync, extensions, first-run and default-browser
 * prompts). The caller adds its profile directory and what to open.
 */
export const CHROMIUM_HEADLESS_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--no-first-run',
  '--no-default-browser-check',
];

/** Fails (a before hook) when the browser is not installed. */
export function assertChromium() {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (make tools installs chromium)`);
}
