#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Where the time goes, layer by layer, in Percept and in ONNX Runtime on the same .onnx file and
// input: our per-layer table (percept-bench --json) beside ORT's own per-node profile
// (enableProfiling, the same session options as bench_vs_ort.js), matched by the exported
// node names' module path (torchvision's "/features/features.2/conv/conv.1/..."), so that a
// block shows both engines' time however each fused or split its nodes (our Conv+Silu against
// ORT's Conv and QuickGelu; ORT's NCHWc reorders land with their block).
//
//   node layers_vs_ort.js --model M.onnx [--input X.npy] [--threads 1] [--runs 100] [--depth N]
//                         [--top 40] [--build DIR]
//   --depth: module path components a row groups (default: all of them but the op name);
//            smaller groups whole blocks.
//   --input: default <model without .onnx>.input.npy where it exists (the zoo's), else a
//            random input written for both.
// Rows sort by ours - ORT, largest first. ORT's profiling costs it ~10-20 % (the table prints
// both totals and its unprofiled median), so compare rows against the totals' ratio, not 1.
// Percept's rows are timed without the profiler's per-node events (its per-layer clock is
// always on).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { readNpy, writeNpy, loadOrt, createSession, runOnce } = require('./ort_reference.js');

const a = { build: path.join(__dirname, '..', '..', 'build'), threads: '1', runs: '100', depth: '', top: '40' };
const argv = process.argv.slice(2);
for (let k = 0; k < argv.length; ++k) {
  if (!argv[k].startsWith('--') || k + 1 >= argv.length) throw new Error(`usage: see the header of ${__filename}`);
  a[argv[k].slice(2)] = argv[++k];
}
if (!a.model) throw new Error('--model M.onnx is required');
const bench = path.join(a.build, 'inference', 'tools', 'percept-bench');
const modules = path.join(a.build, 'tests', 'zoo', 'ort');

// The module path of a node name: its components up to the first that names an op (exported op
// names start with a capital: Conv, Mul, QuickGeluFusion, Conv_output_0_nchwc ...), without a
// last one that only indexes into an indexed one before it (torchvision's Conv2dNormActivation
// "conv.0": conv "conv.0.0", norm "conv.0.1", activation "conv.0.2"): we name a fused
// Conv+Clip after its Conv, ORT after its Clip, and both are block "conv.0" ("conv.2", a
// plain layer of "conv", stays itself).
function blockOf(name) {
  const parts = name.split('/').filter((p) => p);
  const out = [];
  for (const p of parts) {
    if (/^[A-Z]/.test(p)) break;
    out.push(p);
  }
  const last = out[out.length - 1], prev = out[out.length - 2];
  if (prev && /\.\d+$/.test(prev) && new RegExp(`^${prev.replace(/\./g, '\\.')}\\.\\d+$`).test(last)) out.pop();
  return (a.depth ? out.slice(0, Number(a.depth)) : out).join('/') || '(graph)';
}

(async () => {
  let input = a.input || a.model.replace(/\.onnx$/, '.input.npy');
  const { ort } = loadOrt(modules);
  if (!fs.existsSync(input)) {
    // A random input of the model's shape, through percept-bench's probe of it.
    const probe = JSON.parse(execFileSync(bench, ['--model', a.model, '--threads', '1', '--runs', '1', '--warmup', '0', '--no-opencv', '--layers', '0', '--json'],
      { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('{')));
    const n = probe.input_shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(n).map((_, i) => Math.sin(i * 12.9898) * 0.5);
    input = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'percept-layers-')), 'input.npy');
    writeNpy(input, probe.input_shape, data);
  }
  const threads = Number(a.threads), runs = Number(a.runs);

  // Ours: per-layer medians of `runs` runs.
  const oursJson = JSON.parse(execFileSync(bench, ['--model', a.model, '--input', input, '--threads', String(threads), '--runs', String(runs),
    '--no-opencv', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').find((l) => l.startsWith('{')));

  // ORT: unprofiled median first, then a profiled session's per-node kernel times.
  const x = readNpy(input);
  const plain = await createSession(ort, a.model, threads);
  for (let k = 0; k < 5; ++k) await runOnce(ort, plain, x);
  const ms = [];
  for (let k = 0; k < runs; ++k) {
    const t0 = process.hrtime.bigint();
    await runOnce(ort, plain, x);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((p, q) => p - q);
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'percept-ortprof-')), 'p');
  const prof = await ort.InferenceSession.create(a.model, { graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1,
    intraOpNumThreads: threads, enableProfiling: true, profileFilePrefix: prefix });
  for (let k = 0; k < runs; ++k) await runOnce(ort, prof, x);
  const dir = path.dirname(prefix);
  prof.endProfiling();
  const file = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f))[0];
  if (!file) throw new Error('ONNX Runtime wrote no profile');
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  const profiledRuns = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').length || runs;

  const rows = new Map();  // block -> { ours, ort, oursOps, ortOps }
  const row = (k) => rows.get(k) || rows.set(k, { ours: 0, ort: 0, oursOps: new Set(), ortOps: new Set() }).get(k);
  for (const l of oursJson.layers) {
    const r = row(blockOf(l.name));
    r.ours += l.ms * 1000;
    r.oursOps.add(`${l.op} ${l.algo}`);
  }
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const r = row(blockOf(e.name.slice(0, -'_kernel_time'.length)));
    r.ort += e.dur / profiledRuns;
    r.ortOps.add(e.args.op_name);
  }
  const total = (f) => [...rows.values()].reduce((s, r) => s + f(r), 0);
  const oursTotal = total((r) => r.ours), ortTotal = total((r) => r.ort);
  console.log(`${path.basename(a.model)}, ${threads} thread(s), ${runs} runs each`);
  console.log(`ours: layers sum ${(oursTotal / 1000).toFixed(3)} ms (run median ${oursJson.ms.median.toFixed(3)} ms)`);
  console.log(`ORT:  profiled nodes sum ${(ortTotal / 1000).toFixed(3)} ms (unprofiled run median ${ms[ms.length >> 1].toFixed(3)} ms)`);
  console.log(`rows: us ours, us ORT (profiled), ours - ORT x ${(oursTotal / ortTotal).toFixed(2)} (the totals' ratio), block, our ops | ORT's`);
  const sorted = [...rows.entries()].sort((p, q) => (q[1].ours - q[1].ort * oursTotal / ortTotal) - (p[1].ours - p[1].ort * oursTotal / ortTotal));
  for (const [k, r] of sorted.slice(0, Number(a.top))) {
    const excess = r.ours - r.ort * oursTotal / ortTotal;
    console.log(`${r.ours.toFixed(0).padStart(7)} ${r.ort.toFixed(0).padStart(7)} ${(excess >= 0 ? '+' : '') + excess.toFixed(0).padStart(5)}  ${k.slice(-58).padEnd(58)} ${[...r.oursOps].join(', ').slice(0, 40)} | ${[...r.ortOps].join(', ').slice(0, 30)}`);
  }
})().catch((e) => {
  console.error(`layers_vs_ort: ${e.message}`);
  process.exit(1);
});
