#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Percept (percept-bench, CPU) against ONNX Runtime (onnxruntime-node: intraOpNumThreads 1/2,
// interOpNumThreads 1, graphOptimizationLevel 'all') on every zoo model the engine loads, on
// the model's real input. Rounds are INTERLEAVED: each round runs both engines at every thread
// count, alternating which goes first, so slow drifts of a shared machine hit both alike. Each
// engine reports the median of its runs in a round; the table gives the median over rounds,
// the ratio ours/ORT, and the spread of the rounds (max-min over median: above ~10% the window
// was noisy and the ratio is only rough).
//
// usage: node bench_vs_ort.js [--build DIR] [--rounds N] [--runs R] [--warmup W] [--threads 1,2] [--only ID,...]
//   --build: the CMake build tree (default: ../../build from here); the zoo, percept-bench and
//   onnxruntime-node are taken from it (run `ctest -L zoo` once to make the zoo).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const a = { build: path.join(__dirname, '..', '..', 'build'), rounds: '5', runs: '10', warmup: '3', threads: '1,2', only: '' };
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k += 2) {
  const name = argv[k].replace(/^--/, '');
  if (!(name in a) || k + 1 >= argv.length) {
    console.error(`usage: bench_vs_ort.js [--build DIR] [--rounds N] [--runs R] [--warmup W] [--threads 1,2] [--only ID,...]`);
    process.exit(2);
  }
  a[name] = argv[k + 1];
}
const zoo = path.join(a.build, 'tests', 'zoo', 'data');
const bench = path.join(a.build, 'inference', 'tools', 'percept-bench');
const modules = path.join(a.build, 'tests', 'zoo', 'ort');
const ortScript = path.join(__dirname, 'ort_reference.js');
for (const p of [zoo, bench, path.join(modules, 'node_modules', 'onnxruntime-node')])
  if (!fs.existsSync(p)) throw new Error(`${p} is missing (build percept-bench, run ctest -L zoo once)`);
const threads = a.threads.split(',').map(Number);
const only = a.only.split(',').filter((s) => s);

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};
const json = (out) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

function ours(id, t) {
  const out = execFileSync(bench, ['--model', path.join(zoo, id + '.onnx'), '--input', path.join(zoo, id + '.input.npy'),
    '--threads', String(t), '--runs', a.runs, '--warmup', a.warmup, '--no-opencv', '--layers', '0', '--json'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return json(out)[0].ms.median;
}
function ort(id, t) {
  const out = execFileSync('node', [ortScript, '--time', '--modules', modules, '--model', path.join(zoo, id + '.onnx'),
    '--input', path.join(zoo, id + '.input.npy'), '--threads', String(t), '--runs', a.runs, '--warmup', a.warmup],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return json(out)[0].ms.median;
}

// The models the engine loads (one quick run each; the refused ones are listed, not timed).
const ids = fs.readdirSync(zoo).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort()
  .filter((id) => !only.length || only.includes(id));
const loads = [];
{
  const rows = json(execFileSync(bench, ['--zoo', zoo, '--backend', 'cpu', '--runs', '1', '--warmup', '0', '--threads', '1',
    '--no-opencv', '--layers', '0', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  for (const id of ids) {
    const r = rows.find((x) => x.model === id);
    if (r && !r.refused) loads.push(id);
    else console.log(`${id}: not timed (refused: ${r ? r.refused : 'not in the zoo'})`);
  }
}

console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const results = {};  // id -> threads -> {ours: [], ort: []}
for (let round = 0; round < Number(a.rounds); ++round) {
  for (const id of loads) {
    results[id] = results[id] || {};
    for (const t of threads) {
      const cell = (results[id][t] = results[id][t] || { ours: [], ort: [] });
      if (round % 2 === 0) {
        cell.ours.push(ours(id, t));
        cell.ort.push(ort(id, t));
      } else {
        cell.ort.push(ort(id, t));
        cell.ours.push(ours(id, t));
      }
    }
  }
  process.stderr.write(`round ${round + 1}/${a.rounds} done\n`);
}
console.log(`load average after:  ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const spread = (v) => (Math.max(...v) - Math.min(...v)) / median(v);
console.log(`\nPercept vs ONNX Runtime ${require(require.resolve('onnxruntime-node', { paths: [modules] })).env.versions.node}, ` +
  `CPU, median over ${a.rounds} interleaved rounds of ${a.runs} runs (after ${a.warmup} warm-up)`);
console.log(`${'model'.padEnd(26)} ${'threads'.padStart(7)} ${'percept ms'.padStart(11)} ${'ORT ms'.padStart(9)} ` +
  `${'ours/ORT'.padStart(9)}   spread percept / ORT`);
for (const id of loads) {
  for (const t of threads) {
    const c = results[id][t];
    const mo = median(c.ours), mr = median(c.ort);
    console.log(`${id.padEnd(26)} ${String(t).padStart(7)} ${mo.toFixed(2).padStart(11)} ${mr.toFixed(2).padStart(9)} ` +
      `${(mo / mr).toFixed(2).padStart(9)}   ${(100 * spread(c.ours)).toFixed(0).padStart(4)}% / ${(100 * spread(c.ort)).toFixed(0)}%`);
  }
}
