// browser.mjs: the official Admin UI (served at /admin-ui/) in headless Chromium,
// run by TestBrowser against rtserver with ADMIN_UI=1 and the demo users.
// Env: RT_BASE_URL, RT_CHROMIUM, RT_ARTIFACTS, RT_DOCS_SCREENSHOT (optional).
//
// alice is connected to /chat and in room lobby; a person opens the UI, fills its
// connection form (server URL, admin namespace, admin's username and password),
// finds alice's socket with its rooms on the sockets page and disconnects it; alice
// sees "io server disconnect". The page must raise no error, console or CSP, and
// its icon font must load from the server.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';

const BASE = process.env.RT_BASE_URL;
const ARTIFACTS = process.env.RT_ARTIFACTS || 'test/artifacts';
assert.ok(BASE, 'RT_BASE_URL is set');

const res = await fetch(BASE + '/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-pass' }) });
assert.equal(res.status, 200);
const { token } = await res.json();
const alice = io(BASE + '/chat', { auth: { token }, transports: ['websocket'], reconnection: false });
await new Promise((resolve, reject) => { alice.once('connect', resolve); alice.once('connect_error', reject); });
const ack = await alice.emitWithAck('join', 'lobby');
assert.equal(ack.ok, true);
const aliceID = alice.id;
const disconnected = new Promise((resolve) => alice.once('disconnect', resolve));

const browser = await chromium.launch({
  executablePath: process.env.RT_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const problems = [];
let step = 'start';
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(8000);
  page.on('pageerror', (err) => problems.push(`page error ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error ${msg.text()}`); });

  step = 'connection form';
  await page.goto(BASE + '/admin-ui/');
  await page.getByLabel('Server URL').fill(BASE);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('admin-pass');
  await page.getByText('Advanced options').click();
  await page.getByLabel('Admin namespace').fill('/admin-ui');
  await page.screenshot({ path: path.join(ARTIFACTS, 'adminui-1-form.png') });
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.getByRole('button', { name: 'Connect' }).waitFor({ state: 'hidden' });
  await page.locator('.v-chip__content:visible', { hasText: /^connected$/i }).first().waitFor();

  step = 'dashboard';
  await page.waitForTimeout(2500); // a server_stats or two for the charts
  await page.screenshot({ path: path.join(ARTIFACTS, 'adminui-2-dashboard.png') });

  step = 'icon font';
  // The icon font (@mdi/font, vendored by make setup-node) is served by the
  // server, allowed by the page's CSP and used by the icons on screen.
  const iconFont = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'Material Design Icons').map((f) => f.status);
  });
  assert.ok(iconFont.includes('loaded'), `icon font: ${JSON.stringify(iconFont)}`);
  const glyph = await page.locator('.mdi:visible').first().evaluate((el) => getComputedStyle(el, '::before').fontFamily);
  assert.match(glyph, /Material Design Icons/);

  step = 'sockets page';
  await page.evaluate(() => { location.hash = '#/sockets'; }); // the menu is folded at this width
  await page.getByLabel('Select namespace').click({ force: true });
  await page.getByRole('option', { name: '/chat' }).click();
  await page.getByText(aliceID).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'adminui-3-sockets.png') });
  if (process.env.RT_DOCS_SCREENSHOT) {
    await page.screenshot({ path: process.env.RT_DOCS_SCREENSHOT });
  }

  step = 'socket details';
  await page.getByText(aliceID).click();
  await page.getByText('Socket details').waitFor();
  const rooms = page.locator('.v-card', { hasText: 'Rooms' });
  await rooms.getByText('lobby', { exact: true }).waitFor();
  await rooms.getByText(aliceID, { exact: true }).waitFor();
  await page.screenshot({ path: path.join(ARTIFACTS, 'adminui-4-socket.png'), fullPage: true });

  step = 'disconnect from the UI';
  // The socket's Status row holds its disconnect button (an icon button).
  const details = page.locator('.v-card', { hasText: 'Details' });
  await details.locator('tr', { hasText: 'Creation date' }).waitFor();
  const statusRows = details.locator('tr', { hasText: 'Status' });
  await statusRows.last().locator('button').click();
  const reason = await Promise.race([disconnected, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
  assert.equal(reason, 'io server disconnect');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(ARTIFACTS, 'adminui-5-disconnected.png'), fullPage: true });

  assert.deepEqual(problems, []);
  console.log('adminui browser: ok');
} catch (err) {
  console.error(`adminui browser: failed at "${step}": ${err.stack || err}`);
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  alice.close();
}
