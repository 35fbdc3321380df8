// Browser test of the operator console: Debian's headless Chromium, driven by
// Playwright, through the whole operator flow against the real `smscoach
// serve` and the fake Messages API (both real processes on 127.0.0.1).
//
//   SMSCOACH_BINARY=build/.../smscoach FAKE_MESSAGES_API_BINARY=build/.../fake_messages_api \
//   SCREENSHOT=build/.../console.png node tests/browser/console.test.mjs
//
// CHROMIUM (default /usr/bin/chromium) picks another browser binary; KEEP_TMP=1
// keeps the temporary folder with the database and the server's log.

import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const SMSCOACH = process.env.SMSCOACH_BINARY;
const FAKE_API = process.env.FAKE_MESSAGES_API_BINARY;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = path.resolve(process.env.SCREENSHOT || process.argv[2] || 'console.png');
const VIEWER_SCREENSHOT = SCREENSHOT.replace(/(\.png)?$/, '-viewer.png');

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'browser-test-auth-token-0123456789';
const PUBLIC_URL = 'http://127.0.0.1';
const LINE = '+15550009999';
const OPERATOR_TOKEN = 'op'.repeat(16);   // 32 characters
const VIEWER_TOKEN = 'vw'.repeat(16);

const HUMAN = '+15550100001';    // asks for a person
const MEDS = '+15550100002';     // medication question: flagged
const FAQ = '+15550100003';      // a plain FAQ
const FAQ_TEXT = 'What is Lean Mass Matrix?';

const mask = (n) => (n.length <= 8 ? '*'.repeat(n.length) : `${n.slice(0, 5)}***${n.slice(-4)}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- processes ---------------------------------------------------------------

const children = [];
let tmp = '';

function killAll(signal) {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill(signal); } catch (_) { /* already gone */ }
    }
  }
}
process.on('exit', () => killAll('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { killAll('SIGKILL'); process.exit(130); });
}

// Starts a process that prints "listening on 127.0.0.1:PORT" on stdout; resolves to PORT.
function startListening(name, binary, args, logFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp });
    children.push(child);
    child.label = name;
    child.output = '';
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`${name} did not start listening in 15 s:\n${child.output}`)), 15000);
    function finish(error, port) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error); else resolve(port);
    }
    const collect = (chunk) => {
      child.output += chunk.toString();
      if (child.output.length > 200000) child.output = child.output.slice(-100000);
      if (logFile) writeFileSync(logFile, child.output);
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(child.output);
      if (match) finish(null, Number(match[1]));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => finish(new Error(`${name}: ${error.message}`)));
    child.on('exit', (code, signal) => finish(new Error(`${name} exited (${code ?? signal}) before listening:\n${child.output}`)));
  });
}

async function stopAll() {
  killAll('SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null)) {
    await sleep(50);
  }
  killAll('SIGKILL');
}

// ---- talking to the servers ----------------------------------------------------

let serverPort = 0;
let fakePort = 0;
let base = '';
let sidCounter = 0;

function twilioSignature(url, params) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', AUTH_TOKEN).update(data, 'utf8').digest('base64');
}

// Texts the bot as Twilio would: form-encoded and signed; returns the TwiML.
async function text(from, body) {
  sidCounter += 1;
  const sid = `SM${randomBytes(15).toString('hex')}${String(sidCounter).padStart(2, '0')}`;
  const params = {
    MessageSid: sid, SmsSid: sid, AccountSid: ACCOUNT_SID, From: from, To: LINE, Body: body, NumMedia: '0',
  };
  const response = await fetch(`${base}/sms/twilio`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilioSignature(`${PUBLIC_URL}/sms/twilio`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  const twiml = await response.text();
  assert.equal(response.status, 200, `webhook for "${body}" answered ${response.status}: ${twiml}`);
  return twiml;
}

async function adminApi(token, method, apiPath, body) {
  const response = await fetch(`${base}/api/v1${apiPath}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const textBody = await response.text();
  return { status: response.status, json: textBody ? JSON.parse(textBody) : null };
}

async function conversation(number) {
  const { status, json } = await adminApi(OPERATOR_TOKEN, 'GET', `/conversations/${encodeURIComponent(number)}`);
  assert.equal(status, 200);
  return json;
}

async function fakeRequests() {
  const response = await fetch(`http://127.0.0.1:${fakePort}/fake/requests`);
  assert.equal(response.status, 200);
  return response.json();
}

// Retries `check` (which throws until satisfied) until it passes or time runs out.
async function eventually(what, check, timeout = 15000) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${lastError && lastError.message}`);
    }
    await sleep(150);
  }
}

// ---- the browser ------------------------------------------------------------------

let browser;
const pageProblems = [];

async function newPage(name) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (error) => pageProblems.push(`${name}: uncaught ${error.message}`));
  page.on('console', (message) => {
    // A refused API call (403, 409) is logged by Chromium as "Failed to load
    // resource"; that is the point of some steps. Anything else is a bug
    // (a CSP violation, a script error).
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) {
      pageProblems.push(`${name}: console error: ${message.text()}`);
    }
  });
  return page;
}

async function logIn(page, token) {
  const response = await page.goto(`${base}/console/`);
  assert.equal(response.status(), 200);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Handoff queue' }).waitFor();
}

const queue = (page) => page.getByRole('region', { name: 'Handoff queue' });
const allConversations = (page) => page.getByRole('region', { name: 'All conversations' });
const transcript = (page) => page.getByRole('log', { name: 'Transcript' });
const alert = (page) => page.getByRole('alert');
const status = (page) => page.getByRole('status');

async function textOf(locator) {
  return (await locator.textContent()) || '';
}

// ---- the test -----------------------------------------------------------------------

before(async () => {
  assert.ok(SMSCOACH, 'set SMSCOACH_BINARY to the smscoach executable');
  assert.ok(FAKE_API, 'set FAKE_MESSAGES_API_BINARY to the fake_messages_api executable');
  tmp = mkdtempSync(path.join(tmpdir(), 'smscoach-browser-'));
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });

  fakePort = await startListening('fake_messages_api', FAKE_API,
    ['--port', '0', '--account-sid', ACCOUNT_SID, '--auth-token', AUTH_TOKEN]);
  serverPort = await startListening('smscoach serve', SMSCOACH, [
    'serve',
    '--listen', '127.0.0.1:0',
    '--db', path.join(tmp, 'smscoach.db'),
    '--public-url', PUBLIC_URL,
    '--twilio-auth-token', AUTH_TOKEN,
    '--twilio-account-sid', ACCOUNT_SID,
    '--twilio-api-base', `http://127.0.0.1:${fakePort}`,
    '--admin-token', `operator:alice:${OPERATOR_TOKEN}`,
    '--admin-token', `viewer:val:${VIEWER_TOKEN}`,
  ], path.join(tmp, 'server.log'));
  base = `http://127.0.0.1:${serverPort}`;
  await eventually('the server to be ready', async () => {
    const response = await fetch(`${base}/readyz`);
    assert.equal(response.status, 200);
  });

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stopAll();
  // The server's log (masked numbers, no message text) beside the screenshot.
  const server = children.find((c) => c.label === 'smscoach serve');
  if (server) {
    const log = path.join(path.dirname(SCREENSHOT), 'server.log');
    writeFileSync(log, server.output);
    console.log(`server log: ${log}`);
  }
  if (tmp && !process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
  else if (tmp) process.stderr.write(`kept ${tmp}\n`);
});

test('the console is served from the binary with its security headers', async () => {
  const page = await fetch(`${base}/console/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html; charset=utf-8/);
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
  assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  const html = await page.text();
  assert.match(html, /<script src="console.js" defer><\/script>/);
  for (const [file, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css']]) {
    const response = await fetch(`${base}/console/${file}`);
    assert.equal(response.status, 200, file);
    assert.match(response.headers.get('content-type'), new RegExp(`^${type}`));
  }
  assert.equal((await fetch(`${base}/console/nope.js`)).status, 404);
});

test('operator flow: queue, search, take over, reply, live update, note, relabel, hand back', async (t) => {
  // Three texters: one wants a person, one asks about a medication, one an FAQ.
  await text(HUMAN, 'I want to talk to a real person');
  await text(MEDS, 'is creatine safe with lisinopril');
  const faqReply = await text(FAQ, FAQ_TEXT);
  assert.match(faqReply, /<Message>/, 'the FAQ is answered by the bot');

  const page = await newPage('operator');
  const marker = () => page.evaluate(() => window.__sameDocument === true);

  await t.test('logs in with the access token', async () => {
    await logIn(page, OPERATOR_TOKEN);
    await page.getByText('alice (operator)').waitFor();
    await page.evaluate(() => { window.__sameDocument = true; });
  });

  await t.test('the handoff queue lists both handoffs, masked, with a reason and an age', async () => {
    const human = queue(page).getByRole('listitem').filter({ has: page.getByRole('button', { name: mask(HUMAN), exact: true }) });
    const meds = queue(page).getByRole('listitem').filter({ has: page.getByRole('button', { name: mask(MEDS), exact: true }) });
    await human.waitFor();
    await meds.waitFor();
    const { json } = await adminApi(VIEWER_TOKEN, 'GET', '/handoffs');
    for (const [item, number] of [[human, HUMAN], [meds, MEDS]]) {
      const entry = json.conversations.find((c) => c.number === number);
      assert.ok(entry && entry.reason, `the API gives a reason for ${number}`);
      assert.equal((await textOf(item.locator('.reason'))).trim(), entry.reason);
      assert.match(await textOf(item.locator('.age')), /just now|\d+ min/);
    }
    assert.equal(await queue(page).getByRole('button', { name: mask(FAQ), exact: true }).count(), 0,
      'the FAQ texter is not waiting');
    const lists = await textOf(page.locator('.lists'));
    for (const number of [HUMAN, MEDS, FAQ]) {
      assert.ok(!lists.includes(number), `the full number ${number} is not shown in a list`);
    }
    // Oldest waiting first.
    const order = await queue(page).getByRole('button').allTextContents();
    assert.ok(order.indexOf(mask(HUMAN)) < order.indexOf(mask(MEDS)), `queue order ${order}`);
  });

  await t.test('search finds the FAQ texter', async () => {
    await page.getByLabel('Search messages').fill('Matrix');
    await page.getByLabel('Search messages').press('Enter');
    await eventually('the search result', async () => {
      const buttons = await allConversations(page).getByRole('listitem').getByRole('button').allTextContents();
      assert.deepEqual(buttons, [mask(FAQ)]);
    });
    await page.getByLabel('Search messages').fill('');
    await page.getByLabel('Search messages').press('Enter');
    await allConversations(page).getByRole('button', { name: mask(HUMAN), exact: true }).waitFor();
  });

  await t.test('opening a conversation shows the full number, the profile and who said what', async () => {
    await queue(page).getByRole('button', { name: mask(HUMAN), exact: true }).click();
    await page.getByRole('heading', { name: HUMAN, exact: true }).waitFor();
    const log = transcript(page);
    await log.getByText('I want to talk to a real person').waitFor();
    const texter = log.getByRole('listitem').filter({ hasText: 'I want to talk to a real person' });
    assert.match(await textOf(texter.locator('.who')), /^Texter$/);
    assert.match(await textOf(texter), /understood as human/);
    const bot = log.getByRole('listitem').filter({ has: page.locator('.who', { hasText: /^Bot/ }) });
    assert.ok(await bot.count() >= 1, 'the bot answered');
    assert.match(await textOf(bot.first().locator('.who')), /^Bot \(.+\)$/);
    await page.getByText('Weight', { exact: true }).waitFor();
  });

  await t.test('take over', async () => {
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.locator('#conv-state', { hasText: 'An operator is in charge' }).waitFor();
    assert.equal((await conversation(HUMAN)).mode, 'human');
  });

  await t.test('a canned reply can be inserted into Reply', async () => {
    const { json } = await adminApi(OPERATOR_TOKEN, 'GET', '/canned-replies');
    const replies = (json && json.replies) || [];
    if (replies.length === 0) {
      t.diagnostic('no canned replies: skipped inserting one');
      return;
    }
    await page.getByLabel('Canned answer').selectOption({ label: replies[0].title || replies[0].id });
    assert.equal(await page.getByLabel('Reply').inputValue(), replies[0].text);
  });

  const operatorText = 'Hi, this is Alice, one of the coaches. What would you like to talk about?';
  await t.test('Send: the reply goes out through the Messages API and shows as Operator alice', async () => {
    await page.getByLabel('Reply').fill(operatorText);
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually('the fake Messages API to receive the reply', async () => {
      const sent = (await fakeRequests()).filter((r) => r.form.To === HUMAN && r.form.Body === operatorText);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].form.From, LINE);
    });
    const mine = transcript(page).getByRole('listitem').filter({ hasText: operatorText });
    await mine.waitFor();
    assert.equal((await textOf(mine.locator('.who'))).trim(), 'Operator alice');
    assert.equal(await page.getByLabel('Reply').inputValue(), '', 'Reply is cleared after sending');
  });

  await t.test('a new text from the texter appears without a reload, and the draft survives', async () => {
    await page.getByLabel('Reply').fill('Half-typed answer');
    await text(HUMAN, 'Thanks! Can you check my protein intake?');
    await transcript(page).getByText('Thanks! Can you check my protein intake?').waitFor();
    assert.ok(await marker(), 'the page was not reloaded');
    assert.equal(await page.getByLabel('Reply').inputValue(), 'Half-typed answer');
    await page.getByLabel('Reply').fill('');
  });

  await t.test('a private note is added and not sent', async () => {
    const before = (await fakeRequests()).length;
    await page.getByLabel('Note').fill('Prefers evening texts. Check back Friday.');
    await page.getByRole('button', { name: 'Add note' }).click();
    const notes = page.locator('#notes');
    await notes.getByText('Prefers evening texts. Check back Friday.').waitFor();
    await notes.getByText('alice', { exact: true }).waitFor();
    await sleep(500);
    assert.equal((await fakeRequests()).length, before, 'a note is never sent');
    const detail = await conversation(HUMAN);
    assert.ok(detail.notes.some((n) => n.body === 'Prefers evening texts. Check back Friday.'));
  });

  await t.test('relabel a bot turn', async () => {
    // The first inbound message the bot classified (and answered).
    const classified = (await conversation(HUMAN)).messages.find((m) => m.direction === 'in' && m.intent);
    assert.ok(classified, 'an inbound message with an intent');
    const right = classified.intent === 'help' ? 'greeting' : 'help';
    const turn = transcript(page).getByRole('listitem').filter({ hasText: classified.body });
    await turn.getByText('Relabel', { exact: true }).click();
    await turn.getByLabel('Correct intent').selectOption(right);
    await turn.getByRole('button', { name: 'Save label' }).click();
    await turn.getByText(`staff label: ${right}`).waitFor();
    const detail = await conversation(HUMAN);
    assert.equal(detail.messages.find((m) => m.id === classified.id).relabel, right);
  });

  await t.test('screenshot of the conversation an operator is handling', async () => {
    await page.locator('#conv-state', { hasText: 'An operator is in charge' }).waitFor();
    await page.getByLabel('Reply').fill('Sure, let me look at your protein intake.');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT}`);
    await page.getByLabel('Reply').fill('');
  });

  await t.test('Hand back to bot', async () => {
    await page.getByRole('button', { name: 'Hand back to bot' }).click();
    await page.locator('#conv-state', { hasText: 'The bot is answering' }).waitFor();
    assert.equal((await conversation(HUMAN)).mode, 'bot');
    await eventually('the handoff to leave the queue', async () => {
      assert.equal(await queue(page).getByRole('button', { name: mask(HUMAN), exact: true }).count(), 0);
    });
    await status(page).getByText('Handed back to the bot.').waitFor();
  });

  await t.test('an opted-out texter cannot be sent to: 409 is shown', async () => {
    await text(FAQ, 'STOP');
    await allConversations(page).getByRole('button', { name: mask(FAQ), exact: true }).click();
    await page.getByRole('heading', { name: FAQ, exact: true }).waitFor();
    await page.locator('#conv-state', { hasText: 'Opted out' }).waitFor();
    await page.getByLabel('Reply').fill('Are you still there?');
    await page.getByRole('button', { name: 'Send' }).click();
    await alert(page).getByText(/409/).waitFor();
    assert.equal((await fakeRequests()).filter((r) => r.form.To === FAQ).length, 0);
  });

  await t.test('Log out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Access token').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });
});

test('a viewer can read but is refused actions, and a bad token is refused', async (t) => {
  const page = await newPage('viewer');

  await t.test('a bad token is refused', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await alert(page).getByText('not accepted').waitFor();
  });

  await t.test('the viewer logs in and reads', async () => {
    await logIn(page, VIEWER_TOKEN);
    await page.getByText('val (viewer)').waitFor();
    await queue(page).getByRole('button', { name: mask(MEDS), exact: true }).click();
    await page.getByRole('heading', { name: MEDS, exact: true }).waitFor();
  });

  await t.test('Take over is refused with 403', async () => {
    await page.getByRole('button', { name: 'Take over' }).click();
    await alert(page).getByText(/403/).waitFor();
    assert.equal((await conversation(MEDS)).mode === 'human', false, 'nothing changed');
    await page.screenshot({ path: VIEWER_SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${VIEWER_SCREENSHOT}`);
  });

  await t.test('the session survives a reload (sessionStorage)', async () => {
    await page.reload();
    await page.getByText('val (viewer)').waitFor();
    await page.getByRole('heading', { name: MEDS, exact: true }).waitFor();
  });
});

test('no script errors or CSP violations in the page', () => {
  assert.deepEqual(pageProblems, []);
});
