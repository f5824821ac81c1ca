#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Percept's int8 CPU path against its own fp32 path, against ONNX Runtime on the same QDQ file,
// and against ncnn's int8 figures quoted in issue 11 (ncnn is not packaged here), on the shared
// models and on ResNet-18 / MobileNet v1 1.0 (make_bench_models.sh), at 1 and 2 threads.
// Rounds are INTERLEAVED: each round runs fp32, int8 and ONNX Runtime at every thread count,
// rotating which goes first, so slow drifts of the shared machine hit all alike; each reports
// the median of its runs, and the table gives the median over rounds and the ratios, plus the
// rounds' spread (max - min over median: above ~10% the window was noisy).
//
// usage: node bench_int8.js [--build DIR] [--rounds N] [--runs R] [--warmup W] [--threads 1,2] [--only NAME,...]
//   --build: the CMake build tree (default ../../build); run `ctest -L int8` once (the int8 models,
//   their inputs, onnxruntime-node) and make_bench_models.sh BUILD for ResNet-18 / MobileNet v1.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { writeNpy } = require('../zoo/ort_reference.js');

const a = { build: path.join(__dirname, '..', '..', 'build'), rounds: '5', runs: '20', warmup: '5', threads: '1,2', only: '' };
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; k += 2) {
  const name = argv[k].replace(/^--/, '');
  if (!(name in a) || k + 1 >= argv.length) {
    console.error('usage: bench_int8.js [--build DIR] [--rounds N] [--runs R] [--warmup W] [--threads 1,2] [--only NAME,...]');
    process.exit(2);
  }
  a[name] = argv[k + 1];
}
const int8 = path.join(a.build, 'tests', 'int8');
const bench = path.join(a.build, 'inference', 'tools', 'percept-bench');
const modules = path.join(int8, 'ort');
const ortScript = path.join(__dirname, '..', 'zoo', 'ort_reference.js');
const sharedModels = process.env.PERCEPT_MODELS_DIR || path.join(__dirname, '..', '..', '..', 'shared', 'models');

// ncnn int8 at 1 / 2 threads on this CPU, ms (issue 11).
const ncnn = { 'squeezenet1.1': [4.57, 3.02], mobilenet_v1_1_0_224: [7.25, 5.34], resnet18: [16.3, 10.1] };
const models = [
  { name: 'squeezenet1.1', fp32: path.join(sharedModels, 'squeezenet1.1.onnx'), ncnn: ncnn['squeezenet1.1'] },
  { name: 'mobilenet_v2_1.0_224', fp32: path.join(sharedModels, 'mobilenet_v2_1.0_224.dequant.onnx') },
  { name: 'mobilenet_v1_0.5_160', fp32: path.join(sharedModels, 'mobilenet_v1_0.5_160.dequant.onnx') },
  { name: 'mobilenet_v1_0.25_128', fp32: path.join(sharedModels, 'mobilenet_v1_0.25_128.dequant.onnx') },
  { name: 'mobilenet_v1_1.0_224', fp32: path.join(int8, 'bench', 'mobilenet_v1_1.0_224.onnx'), ncnn: ncnn.mobilenet_v1_1_0_224, bench: true },
  { name: 'resnet18', fp32: path.join(int8, 'bench', 'resnet18.onnx'), ncnn: ncnn.resnet18, bench: true },
].filter((m) => !a.only || a.only.split(',').includes(m.name));
for (const m of models) {
  m.int8 = m.bench ? m.fp32.replace(/\.onnx$/, '.int8.onnx') : path.join(int8, 'models', m.name + '.int8.onnx');
  for (const f of [m.fp32, m.int8]) if (!fs.existsSync(f)) throw new Error(`${f} is missing (ctest -L int8; make_bench_models.sh)`);
  // One input for all three engines: a photo (the accuracy test's) or, for the bench models, noise.
  const photo = path.join(int8, 'data', m.name, 'chelsea.input.npy');
  m.input = fs.existsSync(photo) ? photo : path.join(int8, 'bench', m.name + '.input.npy');
  if (!fs.existsSync(m.input)) {
    const data = new Float32Array(3 * 224 * 224).map(() => Math.random() * 4 - 2);
    writeNpy(m.input, [1, 3, 224, 224], data);
  }
}
const threads = a.threads.split(',').map(Number);

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};
const json = (out) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const run = (cmd, args) => json(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))[0].ms.median;
const engines = {
  fp32: (m, t) => run(bench, ['--model', m.fp32, '--input', m.input, '--threads', String(t), '--runs', a.runs, '--warmup', a.warmup, '--no-opencv', '--layers', '0', '--json']),
  int8: (m, t) => run(bench, ['--model', m.int8, '--input', m.input, '--threads', String(t), '--runs', a.runs, '--warmup', a.warmup, '--no-opencv', '--layers', '0', '--json']),
  ort: (m, t) => run('node', [ortScript, '--time', '--modules', modules, '--model', m.int8, '--input', m.input, '--threads', String(t), '--runs', a.runs, '--warmup', a.warmup]),
};
const order = Object.keys(engines);

console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const results = {};
for (let round = 0; round < Number(a.rounds); ++round) {
  for (const m of models)
    for (const t of threads) {
      const cell = (results[m.name + '/' + t] = results[m.name + '/' + t] || { fp32: [], int8: [], ort: [] });
      for (let k = 0; k < order.length; ++k) {
        const e = order[(k + round) % order.length];
        cell[e].push(engines[e](m, t));
      }
    }
  process.stderr.write(`round ${round + 1}/${a.rounds} done\n`);
}
console.log(`load average after:  ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

const spread = (v) => (Math.max(...v) - Math.min(...v)) / median(v);
const pct = (v) => `${(100 * spread(v)).toFixed(0)}%`;
console.log(`\nint8 (QDQ from percept-quantize) on the CPU, median over ${a.rounds} interleaved rounds of ${a.runs} runs (after ${a.warmup} warm-up), ms`);
console.log(`${'model'.padEnd(24)} thr ${'fp32'.padStart(7)} ${'int8'.padStart(7)} ${'int8/fp32'.padStart(9)} ${'ORT int8'.padStart(9)} ` +
  `${'int8/ORT'.padStart(8)} ${'ncnn int8'.padStart(9)} ${'int8/ncnn'.padStart(9)}   spread fp32/int8/ORT`);
for (const m of models)
  for (const [i, t] of threads.entries()) {
    const c = results[m.name + '/' + t];
    const f = median(c.fp32), q = median(c.int8), o = median(c.ort);
    const n = m.ncnn ? m.ncnn[i] : null;
    console.log(`${m.name.padEnd(24)} ${String(t).padStart(3)} ${f.toFixed(2).padStart(7)} ${q.toFixed(2).padStart(7)} ${(q / f).toFixed(2).padStart(9)} ` +
      `${o.toFixed(2).padStart(9)} ${(q / o).toFixed(2).padStart(8)} ${(n ? n.toFixed(2) : '-').padStart(9)} ${(n ? (q / n).toFixed(2) : '-').padStart(9)}   ` +
      `${pct(c.fp32)}/${pct(c.int8)}/${pct(c.ort)}`);
  }
