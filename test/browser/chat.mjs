// chat.mjs: drives the demo page in headless Chromium with playwright-core.
// Env: RT_BASE_URL (server), RT_CHROMIUM (browser binary), RT_ARTIFACTS
// (screenshot folder). Exits non-zero on the first failed check; on a
// failure it prints what each page shows and saves failure-<user>.png.
//
// Scenario: alice and bob (two browser contexts) open #general; bob sees
// alice typing, then her message; an HTML-looking message stays text and
// runs no script; a room not on screen gets the unread dot; the admin (a
// third context, at phone width) sends bob a notification through the
// form; bob's bell counts it and clears when he opens the panel, in his
// second tab too; a DM shows an unread dot; a refused join is explained; bob's
// reload resumes his session and shows the history, older pages coming
// on scroll; alice signs out.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.RT_BASE_URL;
const ARTIFACTS = process.env.RT_ARTIFACTS || 'test/artifacts';
assert.ok(BASE, 'RT_BASE_URL is set');

const RUN = Date.now().toString(36); // keeps texts unique on a reused server
const XSS = '<img src=x onerror=window.__xss=1>';
const BULK = 55; // more than one join page (50): the first ones need a scroll
const T = 8000; // bound of every wait

const browser = await chromium.launch({
  executablePath: process.env.RT_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});

const problems = [];
const pages = {};
let step = 'start';

async function open(name, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(T);
  page.on('pageerror', (err) => problems.push(`${name}: page error ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${name}: console error ${msg.text()}`);
  });
  page.on('dialog', async (d) => { problems.push(`${name}: dialog ${d.message()}`); await d.dismiss(); });
  await page.goto(BASE + '/');
  pages[name] = page;
  return page;
}

// DISPLAY is the name the server shows for each demo user.
const DISPLAY = { alice: 'Alice', bob: 'Bob', admin: 'Admin' };

async function waitConnected(page) {
  await page.waitForFunction(() => document.querySelector('#status').textContent === 'connected');
}

async function login(page, user) {
  await page.fill('#username', user);
  await page.fill('#password', `${user}-pass`);
  await page.press('#password', 'Enter');
  await page.waitForSelector('#chat-panel:not([hidden])');
  await page.waitForFunction((u) => document.querySelector('#me-name').textContent === u, DISPLAY[user]);
  await waitConnected(page);
}

async function openRoom(page, room) {
  await page.click(`#room-list button[data-room="${room}"]`);
  await page.waitForFunction((r) => document.querySelector('#room-title').textContent === '#' + r, room);
  await page.waitForSelector('#send-button:not([disabled])');
}

async function send(page, text) {
  await page.fill('#text', text);
  await page.press('#text', 'Enter'); // Enter sends
  await page.waitForFunction(() => document.querySelector('#text').value === '');
}

function hasMessage(page, from, text) {
  return page.evaluate(([f, t]) => [...document.querySelectorAll('#messages li[data-id]')].some(
    (li) => li.querySelector('.from').textContent === f && li.querySelector('.text').textContent === t,
  ), [from, text]);
}

async function waitMessage(page, from, text) {
  await page.waitForFunction(([f, t]) => [...document.querySelectorAll('#messages li[data-id]')].some(
    (li) => li.querySelector('.from').textContent === f && li.querySelector('.text').textContent === t,
  ), [from, text]);
}

async function bellCount(page) {
  return Number(await page.getAttribute('#bell-count', 'data-count'));
}

// explain prints what each page shows and saves screenshots, so that a
// failure (a timeout especially) can be understood from the test log.
async function explain() {
  console.error(`failed at step: ${step}`);
  for (const [name, page] of Object.entries(pages)) {
    try {
      const view = await page.evaluate(() => ({
        status: document.querySelector('#status')?.textContent,
        me: document.querySelector('#me-name')?.textContent,
        room: document.querySelector('#room-title')?.textContent,
        typing: document.querySelector('#typing')?.textContent,
        bell: document.querySelector('#bell-count')?.dataset.count,
        history: document.querySelector('#history-status')?.textContent,
        sendError: document.querySelector('#send-error')?.textContent,
        loginError: document.querySelector('#login-error')?.textContent,
        adminResult: document.querySelector('#admin-result')?.textContent,
        members: [...document.querySelectorAll('#members li')].map((li) => li.textContent),
        messages: [...document.querySelectorAll('#messages li')].slice(-8).map((li) => li.textContent),
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
  step = 'open pages';
  const alice = await open('alice', { width: 1200, height: 820 });
  const bob = await open('bob', { width: 1200, height: 820 });
  const admin = await open('admin', { width: 390, height: 844 }); // phone width

  // The page runs under the strict policy.
  const res = await alice.request.get(BASE + '/');
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  assert.match(res.headers()['content-security-policy'], /style-src 'self'/);

  step = 'wrong password';
  await alice.fill('#username', 'alice');
  await alice.fill('#password', 'not-her-password');
  await alice.click('#login-button');
  await alice.waitForFunction(() => document.querySelector('#login-error').textContent !== '');
  assert.match(await alice.textContent('#login-error'), /wrong username or password/i);
  // The 401 itself is logged by Chromium as a failed resource: expected here.
  await alice.waitForTimeout(100);
  for (let i = problems.length - 1; i >= 0; i--) {
    if (/alice: console error Failed to load resource: .* 401/.test(problems[i])) problems.splice(i, 1);
  }

  step = 'login alice and bob';
  await login(alice, 'alice');
  await login(bob, 'bob');
  // The room list: public rooms, the user's team, a DM with each other user.
  for (const room of ['general', 'random', 'team:red']) {
    await alice.waitForSelector(`#room-list button[data-room="${room}"]`);
  }
  assert.equal(await alice.locator('#room-list button[data-room="team:blue"]').count(), 0, 'no foreign team room');
  await alice.waitForSelector('#dm-list button[data-room="dm:alice:bob"] .presence.online');
  assert.equal(await alice.isVisible('#admin-form'), false, 'the publish form is for admins only');

  step = 'after login the page is in #general, with no click';
  for (const page of [alice, bob]) {
    await page.waitForFunction(() => document.querySelector('#room-title').textContent === '#general');
    await page.waitForSelector('#send-button:not([disabled])');
  }

  step = 'both open #general';
  await openRoom(alice, 'general');
  await openRoom(bob, 'general');
  await bob.waitForSelector('#members li[data-user="alice"]');
  await alice.waitForSelector('#members li[data-user="bob"]');

  step = 'bob sees alice typing';
  await alice.click('#text');
  await alice.keyboard.type('hello b', { delay: 40 });
  await bob.waitForFunction(() => /Alice is typing/.test(document.querySelector('#typing').textContent));

  step = 'alice sends, bob sees it';
  const hello = `hello bob ${RUN}`;
  await send(alice, hello);
  await waitMessage(bob, 'Alice', hello);
  await waitMessage(alice, 'Alice', hello);
  // A message from the typist ends the indicator.
  await bob.waitForFunction(() => document.querySelector('#typing').textContent === '');
  await send(bob, `hi alice ${RUN}`);
  await waitMessage(alice, 'Bob', `hi alice ${RUN}`);

  step = 'markup stays text';
  await send(bob, XSS);
  await waitMessage(alice, 'Bob', XSS);
  await waitMessage(bob, 'Bob', XSS);
  for (const page of [alice, bob]) {
    assert.equal(await page.evaluate(() => document.querySelectorAll('#messages img').length), 0, 'the message became markup');
    assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', 'the message ran script');
  }

  step = 'unread dot';
  await openRoom(bob, 'random');
  const elsewhere = `while you were away ${RUN}`;
  await send(alice, elsewhere);
  await bob.waitForSelector('#room-list button[data-room="general"] [data-testid="unread-dot"]');
  assert.equal(await hasMessage(bob, 'Alice', elsewhere), false, 'general is not on screen');
  await openRoom(bob, 'general');
  await waitMessage(bob, 'Alice', elsewhere);
  assert.equal(await bob.locator('#room-list button[data-room="general"] [data-testid="unread-dot"]').count(), 0);

  step = 'direct message';
  await alice.click('#dm-list button[data-room="dm:alice:bob"]');
  await alice.waitForFunction(() => document.querySelector('#room-title').textContent === 'Bob');
  await alice.waitForSelector('#send-button:not([disabled])');
  const psst = `psst ${RUN}`;
  await send(alice, psst);
  await bob.waitForSelector('#dm-list button[data-room="dm:alice:bob"] [data-testid="unread-dot"]');
  await bob.click('#dm-list button[data-room="dm:alice:bob"]');
  await waitMessage(bob, 'Alice', psst);
  await openRoom(alice, 'general');
  await openRoom(bob, 'general');

  step = 'a refused join is explained';
  await alice.fill('#room', 'team:blue');
  await alice.press('#room', 'Enter');
  await alice.waitForFunction(() => document.querySelector('#join-result').textContent !== '');
  assert.match(await alice.textContent('#join-result'), /may not join team:blue.*forbidden/);
  assert.equal(await alice.locator('#room-list button[data-room="team:blue"]').count(), 0);

  step = 'a second tab of bob resumes his session';
  const bob2 = await bob.context().newPage();
  bob2.setDefaultTimeout(T);
  bob2.on('pageerror', (err) => problems.push(`bob2: page error ${err.message}`));
  bob2.on('console', (msg) => { if (msg.type() === 'error') problems.push(`bob2: console error ${msg.text()}`); });
  pages.bob2 = bob2;
  await bob2.goto(BASE + '/');
  await bob2.waitForSelector('#chat-panel:not([hidden])');
  await waitConnected(bob2);
  assert.equal(await bob2.textContent('#me-name'), 'Bob');

  step = 'admin sends bob a notification';
  await login(admin, 'admin');
  await admin.waitForSelector('#admin-form:not([hidden])');
  await admin.waitForSelector('#admin-to option[value="bob"]', { state: 'attached' });
  assert.equal(await bellCount(bob), 0);
  await admin.selectOption('#admin-to', 'bob');
  const title = `Deploy finished ${RUN}`;
  await admin.fill('#admin-title-input', title);
  await admin.fill('#admin-body', 'All green <b>really</b>');
  await admin.click('#admin-send');
  await admin.waitForFunction(() => /^Sent to 1 user/.test(document.querySelector('#admin-result').textContent));
  await bob.waitForFunction(() => document.querySelector('#bell-count').dataset.count === '1');
  await bob2.waitForFunction(() => document.querySelector('#bell-count').dataset.count === '1');
  assert.equal(await bob.isVisible('#bell-count'), true);
  assert.equal(await bob.textContent('#bell-count'), '1');

  step = 'bob opens the panel';
  await bob.click('#bell');
  await bob.waitForSelector('#notif-panel:not([hidden])');
  await bob.waitForFunction((t) => [...document.querySelectorAll('#notif-list .notif-title')]
    .some((e) => e.textContent === t), title);
  assert.equal(await bob.evaluate(() => document.querySelectorAll('#notif-list b').length), 0, 'the body became markup');
  await bob.waitForFunction(() => document.querySelector('#bell-count').dataset.count === '0');
  assert.equal(await bob.isVisible('#bell-count'), false);
  // The other tab hears `read` and clears its badge too.
  await bob2.waitForFunction(() => document.querySelector('#bell-count').dataset.count === '0');
  await bob2.close();
  delete pages.bob2;
  await bob.screenshot({ path: path.join(ARTIFACTS, 'chat-bob-notifications.png') });
  await bob.keyboard.press('Escape');
  await bob.waitForSelector('#notif-panel', { state: 'hidden' });

  step = 'phone width fits';
  const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways at 390px by ${overflow}px`);

  step = 'more than a page of history';
  // Paced under the per-socket event rate (EVENT_RATE, default 20/s).
  for (let i = 1; i <= BULK; i++) {
    await send(alice, `bulk ${i} ${RUN}`);
    await alice.waitForTimeout(70);
  }
  await waitMessage(bob, 'Alice', `bulk ${BULK} ${RUN}`);

  step = 'screenshots';
  await alice.waitForTimeout(300);
  for (const [name, page] of Object.entries(pages)) {
    const file = path.join(ARTIFACTS, `chat-${name}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
  }

  step = 'bob reloads: history on join';
  await bob.reload();
  await bob.waitForSelector('#chat-panel:not([hidden])'); // the session resumed
  await waitConnected(bob);
  await bob.waitForFunction(() => document.querySelector('#room-title').textContent === '#general');
  await waitMessage(bob, 'Alice', `bulk ${BULK} ${RUN}`);
  await waitMessage(bob, 'Alice', `bulk 10 ${RUN}`);
  assert.equal(await hasMessage(bob, 'Alice', hello), false, 'the join answers only the last page');

  step = 'bob scrolls back';
  for (let i = 0; i < 5 && !(await hasMessage(bob, 'Alice', hello)); i++) {
    await bob.evaluate(() => { document.querySelector('#messages').scrollTop = 0; });
    await bob.waitForTimeout(400);
  }
  await waitMessage(bob, 'Alice', hello);
  await waitMessage(bob, 'Bob', XSS);
  assert.equal(await bob.evaluate(() => typeof window.__xss), 'undefined');
  const order = await bob.evaluate(() => [...document.querySelectorAll('#messages li[data-id] .text')].map((e) => e.textContent));
  assert.ok(order.indexOf(hello) < order.indexOf(`bulk 1 ${RUN}`), 'older messages come first');
  assert.equal(new Set(await bob.evaluate(() => [...document.querySelectorAll('#messages li[data-id]')]
    .map((li) => li.dataset.id))).size, order.length, 'no message twice');
  await bob.screenshot({ path: path.join(ARTIFACTS, 'chat-bob-history.png') });

  step = 'alice signs out';
  await alice.click('#logout-button');
  await alice.waitForSelector('#login-panel:not([hidden])');
  await alice.reload();
  await alice.waitForFunction(() => document.querySelector('#status').textContent === 'signed out');
  assert.equal(await alice.isVisible('#login-panel'), true, 'a reload after sign out stays signed out');

  assert.deepEqual(problems, [], 'no page errors, CSP violations or dialogs');
  console.log('browser suite: 1 passed, 0 failed');
} catch (err) {
  await explain();
  throw err;
} finally {
  await browser.close();
}
