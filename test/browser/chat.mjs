// chat.mjs: drives the demo page in headless Chromium with playwright-core.
// Env: RT_BASE_URL (server), RT_CHROMIUM (browser binary), RT_ARTIFACTS
// (screenshot folder). Exits non-zero on the first failed check.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.RT_BASE_URL;
const ARTIFACTS = process.env.RT_ARTIFACTS || 'test/artifacts';
assert.ok(BASE, 'RT_BASE_URL is set');

const XSS = '<img src=x onerror=alert(1)>';
const ROOM = `lobby-${Date.now().toString(36)}`;

const browser = await chromium.launch({
  executablePath: process.env.RT_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});

const problems = [];
async function open(name) {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`${name}: page error ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${name}: console error ${msg.text()}`);
  });
  page.on('dialog', async (d) => { problems.push(`${name}: dialog ${d.message()}`); await d.dismiss(); });
  await page.goto(BASE + '/');
  return page;
}

// DISPLAY is the name the server shows for each demo user (its display
// name, not the username).
const DISPLAY = { alice: 'Alice', bob: 'Bob' };

async function login(page, user) {
  await page.fill('#username', user);
  await page.fill('#password', `${user}-pass`);
  await page.click('#login-button');
  await page.waitForSelector('#chat-panel:not(.hidden)');
  await page.waitForFunction((u) => document.querySelector('#me-name').textContent === u, DISPLAY[user]);
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'connected');
}

async function join(page, room) {
  await page.fill('#room', room);
  await page.click('#join-button');
  await page.waitForFunction(() => document.querySelector('#join-result').textContent !== '');
  const text = await page.textContent('#join-result');
  await page.evaluate(() => { document.querySelector('#join-result').textContent = ''; });
  return text;
}

async function send(page, text) {
  await page.fill('#text', text);
  await page.click('#send-button');
}

async function waitMessage(page, from, text) {
  await page.waitForFunction(([f, t]) => [...document.querySelectorAll('#messages li')].some(
    (li) => li.querySelector('.from').textContent === f && li.querySelector('.text').textContent === t,
  ), [from, text], { timeout: 5000 });
}

const pages = {};

// explain prints what each page shows and saves screenshots, so that a
// failure (a timeout especially) can be understood from the test log.
async function explain() {
  for (const [name, page] of Object.entries(pages)) {
    try {
      const view = await page.evaluate(() => ({
        status: document.querySelector('#status')?.textContent,
        me: document.querySelector('#me-name')?.textContent,
        join: document.querySelector('#join-result')?.textContent,
        sendError: document.querySelector('#send-error')?.textContent,
        messages: [...document.querySelectorAll('#messages li')].map((li) => li.textContent),
      }));
      console.error(`${name} page on failure:`, JSON.stringify(view));
      await page.screenshot({ path: path.join(ARTIFACTS, `failure-${name}.png`), fullPage: true });
    } catch (err) {
      console.error(`${name}: could not inspect the page: ${err.message}`);
    }
  }
  if (problems.length) console.error('page problems:', problems);
}

try {
  const alice = await open('alice');
  const bob = await open('bob');
  Object.assign(pages, { alice, bob });

  // The page runs under the strict policy.
  const res = await alice.request.get(BASE + '/');
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);

  await login(alice, 'alice');
  await login(bob, 'bob');
  assert.match(await join(alice, ROOM), /^Joined /);
  assert.match(await join(bob, ROOM), /^Joined /);

  await send(alice, 'hello bob');
  await waitMessage(bob, 'Alice', 'hello bob');
  await waitMessage(alice, 'Alice', 'hello bob');
  await send(bob, 'hi alice');
  await waitMessage(alice, 'Bob', 'hi alice');
  await waitMessage(bob, 'Bob', 'hi alice');

  await send(bob, XSS);
  await waitMessage(alice, 'Bob', XSS);
  const injected = await alice.evaluate(() => document.querySelectorAll('#messages img').length);
  assert.equal(injected, 0, 'the message became markup');

  // A refused join is explained and leaves the room list alone.
  const refused = await join(alice, 'team:blue');
  assert.match(refused, /may not join team:blue/);
  assert.match(refused, /forbidden/);

  await alice.waitForTimeout(300);
  const shot = path.join(ARTIFACTS, 'chat.png');
  await alice.screenshot({ path: shot, fullPage: true });
  await bob.screenshot({ path: path.join(ARTIFACTS, 'chat-bob.png'), fullPage: true });
  console.log(`screenshot: ${shot}`);

  assert.deepEqual(problems, [], 'no page errors, CSP violations or dialogs');
  console.log('browser suite: 1 passed, 0 failed');
} catch (err) {
  await explain();
  throw err;
} finally {
  await browser.close();
}
