// session.mjs: the demo page's session handling in headless Chromium, run
// by TestBrowserSession against a server with a short TOKEN_TTL.
// Env: RT_BASE_URL, RT_CHROMIUM, RT_ARTIFACTS, RT_TOKEN_TTL_MS.
//
// alice stays connected across several token lifetimes (auth:expiring →
// POST /token → auth:refresh) and can still send; a second tab resumes
// her session from the cookie; signing out in one tab ends the other.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.RT_BASE_URL;
const ARTIFACTS = process.env.RT_ARTIFACTS || 'test/artifacts';
const TTL = Number(process.env.RT_TOKEN_TTL_MS || 6000);
assert.ok(BASE, 'RT_BASE_URL is set');

const browser = await chromium.launch({
  executablePath: process.env.RT_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});

const problems = [];
const pages = {};
let step = 'start';

function watch(name, page) {
  page.setDefaultTimeout(8000);
  page.on('pageerror', (err) => problems.push(`${name}: page error ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${name}: console error ${msg.text()}`);
  });
  pages[name] = page;
  return page;
}

const connected = () => document.querySelector('#status').textContent === 'connected';

try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  const tab1 = watch('tab1', await context.newPage());
  await tab1.goto(BASE + '/');

  step = 'login';
  await tab1.fill('#username', 'alice');
  await tab1.fill('#password', 'alice-pass');
  await tab1.press('#password', 'Enter');
  await tab1.waitForFunction(connected);
  const refreshes = [];
  tab1.on('request', (r) => { if (r.url().endsWith('/token')) refreshes.push(r.method()); });

  step = 'outlive the token';
  const until = Date.now() + 2.5 * TTL;
  while (Date.now() < until) {
    await tab1.waitForTimeout(500);
    assert.equal(await tab1.isVisible('#login-panel'), false, 'signed out while the session lives');
  }
  await tab1.waitForFunction(connected);
  assert.ok(refreshes.length >= 2, `POST /token ran ${refreshes.length} times in 2.5 token lifetimes`);
  await tab1.waitForSelector('#send-button:not([disabled])');
  await tab1.fill('#text', 'still here');
  await tab1.press('#text', 'Enter');
  await tab1.waitForFunction(() => [...document.querySelectorAll('#messages li[data-id] .text')]
    .some((e) => e.textContent === 'still here'));
  assert.equal(await tab1.textContent('#send-error'), '');

  step = 'a second tab resumes';
  const tab2 = watch('tab2', await context.newPage());
  await tab2.goto(BASE + '/');
  await tab2.waitForFunction(connected);
  assert.equal(await tab2.textContent('#me-name'), 'Alice');

  step = 'signing out ends the other tab';
  await tab1.click('#logout-button');
  await tab1.waitForSelector('#login-panel:not([hidden])');
  await tab2.waitForSelector('#login-panel:not([hidden])', { timeout: 15000 });
  assert.match(await tab2.textContent('#login-error'), /sign in again/i);
  await tab2.screenshot({ path: path.join(ARTIFACTS, 'session-signed-out.png') });

  assert.deepEqual(problems, [], 'no page errors');
  console.log('session suite: 1 passed, 0 failed');
} catch (err) {
  console.error(`failed at step: ${step}`);
  for (const [name, page] of Object.entries(pages)) {
    try {
      console.error(name, JSON.stringify(await page.evaluate(() => ({
        status: document.querySelector('#status')?.textContent,
        loginError: document.querySelector('#login-error')?.textContent,
        note: document.querySelector('#session-note')?.textContent,
      }))));
      await page.screenshot({ path: path.join(ARTIFACTS, `failure-session-${name}.png`) });
    } catch (e) {
      console.error(`${name}: could not inspect the page: ${e.message}`);
    }
  }
  if (problems.length) console.error('page problems:', problems);
  throw err;
} finally {
  await browser.close();
}
