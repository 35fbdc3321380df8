#!/usr/bin/env node
// Trains NLP.js (node-nlp 4.27) on the utterances `smscoach content
// export-training` writes and evaluates it on a labelled dev file, printing
// intent accuracy and time per text, to compare with `smscoach eval`.
//
//   smscoach content export-training > /tmp/training.jsonl
//   node compare.js /tmp/training.jsonl ../../../data/dev_heldout.jsonl
'use strict';
const fs = require('fs');
const { NlpManager } = require('node-nlp');

function readJsonl(path) {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

async function main() {
  const [trainingPath, devPath] = process.argv.slice(2);
  if (!trainingPath || !devPath) {
    console.error('usage: node compare.js TRAINING.jsonl DEV.jsonl');
    process.exit(2);
  }
  const manager = new NlpManager({ languages: ['en'], forceNER: false, autoSave: false, nlu: { log: false } });
  for (const { text, intent } of readJsonl(trainingPath)) manager.addDocument('en', text, intent);
  const t0 = process.hrtime.bigint();
  await manager.train();
  const trainMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const dev = readJsonl(devPath);
  let correct = 0;
  const t1 = process.hrtime.bigint();
  for (const { text, intent } of dev) {
    const r = await manager.process('en', text);
    // NLP.js says "None" when nothing fits: our out_of_scope.
    const predicted = !r.intent || r.intent === 'None' ? 'out_of_scope' : r.intent;
    if (predicted === intent) correct += 1;
  }
  const usPerText = Number(process.hrtime.bigint() - t1) / 1e3 / dev.length;
  console.log(JSON.stringify({
    peer: 'node-nlp@4.27.0', texts: dev.length, correct,
    accuracy: +(correct / dev.length).toFixed(4),
    train_ms: Math.round(trainMs), us_per_text: Math.round(usPerText),
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
