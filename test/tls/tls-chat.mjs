// tls-chat.mjs: the demo page over https:// in headless Chromium
// (playwright-core). Env: RT_BASE_URL (https), RT_CHROMIUM, RT_ARTIFACTS,
// RT_SPKI (base64 SHA-256 of the server key: Chromium accepts that one key
// through --ignore-certificate-errors-spki-list, in place of the test CA,
// which it has no flag to trust; every other certificate check stays on).
// alice and bob log in, both see #general, alice's message reaches bob and
// bob's reply reaches alice; the session cookie is Secure; screenshots go
// to RT_ARTIFACTS/tls-chat-<user>.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.RT_BASE_URL.replace(/\/$/, '');
const ARTIFACTS = process.env.RT_ARTIFACTS || 'test/artifacts';
const RUN = Date.now().toString(36);
const T = 8000;
assert.match(BASE, /^https:\/\//);
assert.ok(process.env.RT_SPKI, 'RT_SPKI is set');

const browser = await chromium.launch({
  executablePath: process.env.RT_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    `--ignore-certificate-errors-spki-list=${process.env.RT_SPKI}`],
});
const problems = [];
const pages = {};
const sockets = {}; // the WebSocket URLs each page opened
let step = 'start';

async function open(name) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 820 } });
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (err) => problems.push(`${name}: page error ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${name}: console error ${msg.text()}`); });
  page.on('websocket', (ws) => { (sockets[name] ||= []).push(ws.url()); });
  const res = await page.goto(BASE + '/');
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['strict-transport-security'], 'max-age=31536000');
  pages[name] = page;
  return page;
}

async function login(page, user, display) {
  await page.fill('#username', user);
  await page.fill('#password', `${user}-pass`);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#chat-panel:not([hidden])');
  await page.waitForFunction((u) => document.querySelector('#me-name').textContent === u, display);
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'connected');
  await page.waitForFunction(() => document.querySelector('#room-title').textContent === '#general');
  await page.waitForSelector('#send-button:not([disabled])');
}

async function send(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  await page.waitForFunction(() => document.querySelector('#text').value === '');
}

async function waitMessage(page, from, text) {
  await page.waitForFunction(([f, t]) => [...document.querySelectorAll('#messages li[data-id]')].some(
    (li) => li.querySelector('.from').textContent === f && li.querySelector('.text').textContent === t,
  ), [from, text]);
}

try {
  step = 'open the page over https';
  const alice = await open('alice');
  const bob = await open('bob');
  assert.equal(await alice.evaluate(() => location.protocol + String(window.isSecureContext)), 'https:true');

  step = 'log in';
  await login(alice, 'alice', 'Alice');
  await login(bob, 'bob', 'Bob');
  const [cookie] = (await alice.context().cookies()).filter((c) => c.name === 'session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.secure, true, 'the session cookie is Secure');
  assert.equal(cookie.httpOnly, true);

  step = 'chat';
  await bob.waitForSelector('#members li[data-user="alice"]');
  const hello = `hello over TLS ${RUN}`;
  await send(alice, hello);
  await waitMessage(bob, 'Alice', hello);
  const reply = `hi alice, wss works ${RUN}`;
  await send(bob, reply);
  await waitMessage(alice, 'Bob', reply);

  step = 'the sockets upgraded to wss://';
  for (const name of ['alice', 'bob']) {
    assert.ok((sockets[name] || []).some((u) => u.startsWith(`wss://${new URL(BASE).host}/socket.io/`)), `${name}: ${sockets[name]}`);
  }

  step = 'screenshots';
  for (const [name, page] of Object.entries(pages)) {
    const file = path.join(ARTIFACTS, `tls-chat-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
  }
  assert.deepEqual(problems, [], 'no page errors');
  console.log('tls browser: 1 passed, 0 failed');
} catch (err) {
  console.error(`failed at step: ${step}`, problems);
  for (const [name, page] of Object.entries(pages)) {
    await page.screenshot({ path: path.join(ARTIFACTS, `tls-failure-${name}.png`) }).catch(() => {});
  }
  throw err;
} finally {
  await browser.close();
}
