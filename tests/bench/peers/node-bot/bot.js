#!/usr/bin/env node
// The SMS coaching bot a Node developer would write instead of smscoach, as a
// load-benchmark peer (tests/bench/load/run.sh): Express, the twilio helper's
// webhook middleware (signature check) and TwiML builder, node-nlp trained at
// start-up on training.json, and every texter's state in memory (gone on
// restart: nothing is durable, unlike smscoach, which stores each text before
// it answers).
//
//   npm ci
//   TWILIO_AUTH_TOKEN=... PUBLIC_URL=https://sms.example.com PORT=3000 node bot.js
//
// PORT=0 picks a free port; either way it prints "listening on HOST:PORT".
'use strict';
const fs = require('fs');
const path = require('path');
const express = require('express');
const twilio = require('twilio');
const { NlpManager } = require('node-nlp');

const AUTH_TOKEN = process.env.TWILIO_AUTH_TOKEN;
const PUBLIC_URL = (process.env.PUBLIC_URL || '').replace(/\/+$/, '');
const HOST = process.env.HOST || '127.0.0.1';
const PORT = Number(process.env.PORT || 3000);
if (!AUTH_TOKEN || !PUBLIC_URL) {
  console.error('bot.js: set TWILIO_AUTH_TOKEN and PUBLIC_URL (the URL Twilio signs)');
  process.exit(2);
}

const training = JSON.parse(fs.readFileSync(path.join(__dirname, 'training.json'), 'utf8'));

// Per-number state and MessageSid dedupe: plain Maps, as a first version would have.
const texters = new Map(); // number -> { weightKg, optedOut, lastSupplement }
const processed = new Map(); // MessageSid -> the TwiML we answered

// Compliance keywords come before any NLP, as carriers require.
const STOP_WORDS = new Set(['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout']);
const START_WORDS = new Set(['start', 'unstop', 'yes']);
const HELP_WORDS = new Set(['help', 'info']);

const SUPPLEMENTS = [
  { id: 'creatine', re: /\bcreatine\b/i, perKg: null, fixed: '3-5 g of creatine monohydrate a day, any time of day; loading is optional.' },
  { id: 'protein', re: /\bprotein\b|\bwhey\b/i, perKg: [1.6, 2.2], unit: 'g of protein a day' },
  { id: 'caffeine', re: /\bcaffeine\b|\bpre[- ]?workout\b|\bpre\b/i, perKg: [3, 6], unit: 'mg of caffeine 30-60 min before training' },
  { id: 'beta_alanine', re: /\bbeta[- ]?alanine\b/i, perKg: null, fixed: '3.2-6.4 g of beta-alanine a day, split into smaller doses.' },
  { id: 'citrulline', re: /\bcitrulline\b/i, perKg: null, fixed: '6-8 g of L-citrulline about an hour before training.' },
];

const WEIGHT_RE = /(\d{2,3}(?:\.\d+)?)\s*(kg|kgs|kilos?|lbs?|pounds?)\b/i;

function parseWeightKg(text) {
  const m = WEIGHT_RE.exec(text);
  if (!m) return null;
  const value = Number(m[1]);
  return /^k/i.test(m[2]) ? value : value * 0.4536;
}

function stateOf(number) {
  let s = texters.get(number);
  if (!s) {
    s = { weightKg: null, optedOut: false, lastSupplement: null };
    texters.set(number, s);
  }
  return s;
}

function doseAnswer(text, state) {
  const supplement = SUPPLEMENTS.find((s) => s.re.test(text)) ||
    SUPPLEMENTS.find((s) => s.id === state.lastSupplement);
  if (!supplement) return 'Which supplement do you mean? For example creatine, protein, caffeine or beta-alanine.';
  state.lastSupplement = supplement.id;
  if (!supplement.perKg) return supplement.fixed;
  if (!state.weightKg) return 'What do you weigh? For example 80 kg or 176 lb.';
  const [lo, hi] = supplement.perKg.map((g) => Math.round(g * state.weightKg));
  return `For ${Math.round(state.weightKg)} kg: ${lo}-${hi} ${supplement.unit}.`;
}

async function main() {
  const manager = new NlpManager({ languages: ['en'], autoSave: false, nlu: { log: false } });
  for (const [intent, utterances] of Object.entries(training.intents)) {
    for (const u of utterances) manager.addDocument('en', u, intent);
  }
  for (const [intent, answers] of Object.entries(training.answers)) {
    for (const a of answers) manager.addAnswer('en', intent, a);
  }
  await manager.train();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: false }));

  app.get('/healthz', (req, res) => res.send('ok'));

  app.post('/sms/twilio', twilio.webhook(AUTH_TOKEN, { url: `${PUBLIC_URL}/sms/twilio` }), async (req, res) => {
    const { From: from, Body: body = '', MessageSid: sid } = req.body;
    const send = (twimlText) => res.type('text/xml').send(twimlText);
    if (!from || !sid) return res.status(400).type('text/plain').send('From and MessageSid are required');
    const seen = processed.get(sid);
    if (seen !== undefined) return send(seen);

    const state = stateOf(from);
    const twiml = new twilio.twiml.MessagingResponse();
    const keyword = body.trim().replace(/[^a-z]/gi, '').toLowerCase();

    if (STOP_WORDS.has(keyword)) {
      state.optedOut = true;
      twiml.message("You're unsubscribed. No more messages will be sent. Reply START to resubscribe.");
    } else if (START_WORDS.has(keyword) && (keyword !== 'yes' || state.optedOut)) {
      state.optedOut = false;
      twiml.message("You're re-subscribed. Reply HELP for help, STOP to opt out.");
    } else if (HELP_WORDS.has(keyword)) {
      twiml.message(training.answers.help[0]);
    } else if (!state.optedOut) {
      const weight = parseWeightKg(body);
      if (weight) state.weightKg = weight;
      const result = await manager.process('en', body);
      const intent = result.intent === 'None' || result.score < 0.5 ? 'None' : result.intent;
      if (intent === 'opt_out') {
        // Worded opt-outs are honoured too.
        state.optedOut = true;
        twiml.message("You're unsubscribed. No more messages will be sent. Reply START to resubscribe.");
      } else if (intent === 'dose') {
        twiml.message(doseAnswer(body, state));
      } else {
        twiml.message(result.answer || training.answers[intent][0]);
      }
    }
    const text = twiml.toString();
    processed.set(sid, text);
    send(text);
  });

  const server = app.listen(PORT, HOST, () => {
    const { address, port } = server.address();
    console.log(`listening on ${address}:${port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
