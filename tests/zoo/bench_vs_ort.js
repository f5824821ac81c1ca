#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Percept's CPU backend against its peers on the same .onnx file and the same input:
//   - ONNX Runtime (onnxruntime-node: intraOpNumThreads 1/2, interOpNumThreads 1,
//     graphOptimizationLevel 'all'), in its own process (ort_reference.js --time);
//   - OpenCV DNN (Debian's 4.6), where it loads the model: percept-bench runs it in its own
//     process interleaved run by run with ours;
//   - ncnn, which is not in Debian: its figures are QUOTED from issue 10 (benchncnn on the same
//     kind of VM, in a run with ONNX Runtime), never measured here. The table shows the quote
//     and ours/ncnn estimated through ORT: (ours/ORT this run) x (ORT/ncnn of the quote's run),
//     which cancels the drift between the two windows as far as it hits both engines alike.
// Rounds are INTERLEAVED: each round runs every model on both engines at every thread count,
// alternating which goes first, so slow drifts of a shared machine hit both alike. Each
// engine reports the median of its runs in a round; the table gives the median over rounds of
// those, the median of the per-round ratios ours/peer with their range, and the spread of the
// rounds (max-min over median: above ~10% the window was noisy and the ratio is only rough).
// 'CPU-time' is the median per-round ratio of the CPU time per run (each process, every
// thread): on a VM shared with other work it is what the two engines cost whatever the
// preemptions; at 2 threads it counts spinning workers too (both engines spin).
//
// usage: node bench_vs_ort.js [--build DIR] [--models LIST] [--rounds N] [--runs R] [--warmup W]
//                             [--threads 1,2] [--no-opencv] [--json FILE]
//   --build: the CMake build tree (default: ../../build from here); percept-bench, the zoo and
//     onnxruntime-node are taken from it (run `ctest -L zoo` once to make the zoo and install
//     the runtime).
//   --models: comma-separated; a zoo id (<build>/tests/zoo/data/<id>.onnx on its photo input),
//     a manifest name or .onnx path, or synthetic:resnet18 / synthetic:mobilenetv2 (made by
//     percept-bench); those run on one random input (seeded) written for both engines.
//     'zoo' = every zoo model the engine loads. Default: the models of issue 10.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ISSUE_MODELS = ['squeezenet1.1', 'mobilenet_v2_1.0_224', 'synthetic:resnet18', 'mobilenet_v1_0.5_160',
  'synthetic:mobilenetv2', 'mobilenet_v2_op13', 'mobilenet_v3_small_op13', 'mobilenet_v3_large_op13', 'efficientnet_b0_op13',
  'regnet_y_400mf_op13', 'resnet50_op13', 'convnext_tiny_op17'];
// Issue 10's table (median ms at 1 / 2 threads, benchncnn fp32, and ONNX Runtime in the same
// run): the only ncnn figures there are.
const NCNN_QUOTE = {
  'squeezenet1.1': { ncnn: [6.73, 4.68], ort: [7.10, 4.42] },
  'mobilenet_v2_1.0_224': { ncnn: [8.14, 5.44], ort: [7.76, 4.35] },
  'synthetic:resnet18': { ncnn: [21.9, 12.8], ort: [34.0, 17.5] },
  'mobilenet_v1_0.5_160': { ncnn: [1.90, 1.33], ort: [1.69, 1.07] },
};

const a = { build: path.join(__dirname, '..', '..', 'build'), models: ISSUE_MODELS.join(','), rounds: '5', runs: '10', warmup: '3',
  threads: '1,2', json: '' };
const argv = process.argv.slice(2);
let withCv = true;
for (let k = 0; k < argv.length; ++k) {
  const name = argv[k].replace(/^--/, '');
  if (name === 'no-opencv') { withCv = false; continue; }
  if (!(name in a) || k + 1 >= argv.length) {
    console.error('usage: bench_vs_ort.js [--build DIR] [--models LIST] [--rounds N] [--runs R] [--warmup W] [--threads 1,2] ' +
      '[--no-opencv] [--json FILE]');
    process.exit(2);
  }
  a[name] = argv[++k];
}
const zoo = path.join(a.build, 'tests', 'zoo', 'data');
const bench = path.join(a.build, 'inference', 'tools', 'percept-bench');
const modules = path.join(a.build, 'tests', 'zoo', 'ort');
const ortScript = path.join(__dirname, 'ort_reference.js');
for (const p of [bench, path.join(modules, 'node_modules', 'onnxruntime-node')])
  if (!fs.existsSync(p)) throw new Error(`${p} is missing (build percept-bench, run ctest -L zoo once)`);
const threads = a.threads.split(',').map(Number);

const median = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
};
const jsonLines = (out) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
// OpenCV's importer logs the ops it cannot load; that it cannot is shown as '-' in the table.
const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26,
  env: { ...process.env, OPENCV_LOG_LEVEL: 'SILENT' } });

// .npy float32, C order (what ort_reference.js and percept-bench read).
function writeNpy(file, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.length === 1 ? `${shape[0]},` : shape.join(', ')}), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]));
}

// Each model: the file and the input both engines get.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'percept-peers-'));
let ids = a.models.split(',').filter((s) => s);
if (ids.includes('zoo')) {
  const zooIds = fs.readdirSync(zoo).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
  ids = ids.flatMap((id) => (id === 'zoo' ? zooIds : [id]));
}
const models = [];
for (const id of ids) {
  const inZoo = fs.existsSync(path.join(zoo, id + '.onnx'));
  const probeArgs = ['--model', inZoo ? path.join(zoo, id + '.onnx') : id, '--threads', '1', '--runs', '1', '--warmup', '0',
    '--no-opencv', '--layers', '0', '--json'];
  if (inZoo) probeArgs.push('--input', path.join(zoo, id + '.input.npy'));
  let probe;
  try {
    probe = jsonLines(run(bench, probeArgs))[0];
  } catch (e) {
    console.log(`${id}: not timed (percept-bench refused it, see above)`);
    continue;
  }
  let input = path.join(zoo, id + '.input.npy');
  if (!inZoo) {
    // Uniform in [-1, 1) from a fixed LCG: the same input every time, for both engines.
    const n = probe.input_shape.reduce((p, d) => p * d, 1), data = new Float32Array(n);
    let s = 12345;
    for (let i = 0; i < n; ++i) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = s / 2147483648 - 1;
    }
    input = path.join(tmp, id.replace(/[^A-Za-z0-9_.-]/g, '_') + '.input.npy');
    writeNpy(input, probe.input_shape, data);
  }
  models.push({ id, file: probe.model_path, input });
}

// Ours alone in its process (as ORT is in its own), so its caches are as warm as ORT's; and,
// for the OpenCV column, percept-bench's own run-by-run interleaving of ours with OpenCV DNN,
// whose ratio is taken within that process.
function ours(m, t, cv) {
  const args = ['--model', m.file, '--input', m.input, '--threads', String(t), '--runs', a.runs, '--warmup', a.warmup,
    '--layers', '0', '--json'];
  if (!cv) args.push('--no-opencv');
  const j = jsonLines(run(bench, args))[0];
  return cv ? (j.opencv_ms ? { ms: j.opencv_ms.median, ratio: j.ratio_vs_opencv } : null) : { ms: j.ms.median, cpu: j.cpu_ms_median };
}
function ort(m, t) {
  const j = jsonLines(run('node', [ortScript, '--time', '--modules', modules, '--model', m.file, '--input', m.input, '--threads', String(t),
    '--runs', a.runs, '--warmup', a.warmup]))[0];
  return { ms: j.ms.median, cpu: j.cpu_ms_median };
}

console.log(`load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const results = {};  // id -> threads -> {ours, ort, oursCpu, ortCpu, cv, cvRatio: [] per round}
for (let round = 0; round < Number(a.rounds); ++round) {
  for (const m of models) {
    results[m.id] = results[m.id] || {};
    for (const t of threads) {
      const cell = (results[m.id][t] = results[m.id][t] || { ours: [], ort: [], oursCpu: [], ortCpu: [], cv: [], cvRatio: [] });
      const us = () => { const r = ours(m, t, false); cell.ours.push(r.ms); cell.oursCpu.push(r.cpu); };
      const them = () => { const r = ort(m, t); cell.ort.push(r.ms); cell.ortCpu.push(r.cpu); };
      if (round % 2 === 0) { us(); them(); } else { them(); us(); }
      const cv = withCv && m.cv !== false ? ours(m, t, true) : null;
      if (cv) { cell.cv.push(cv.ms); cell.cvRatio.push(cv.ratio); } else m.cv = false;  // OpenCV cannot run it: not asked again
    }
  }
  process.stderr.write(`round ${round + 1}/${a.rounds} done\n`);
}
console.log(`load average after:  ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
fs.rmSync(tmp, { recursive: true, force: true });

const spread = (v) => (v.length ? `${(100 * (Math.max(...v) - Math.min(...v)) / median(v)).toFixed(0)}%` : '-');
const f2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(2));
const ratios = (x, y) => x.map((v, k) => v / y[k]);
const ortVersion = require(require.resolve('onnxruntime-node', { paths: [modules] })).env.versions.node;
console.log(`\nPercept vs ONNX Runtime ${ortVersion} / OpenCV DNN / ncnn (quoted), CPU fp32, median ms over ${a.rounds} interleaved ` +
  `rounds of ${a.runs} runs (after ${a.warmup} warm-up); ratio = median of the per-round ratios [min-max]; spread = (max-min)/median of the rounds`);
const head = ['model', 'thr', 'percept', 'ORT', 'ours/ORT', '[range]', 'spread us/ORT', 'CPU-time', 'OpenCV', 'ours/CV', 'ncnn(q)', 'ours/ncnn(q)', 'via ORT'];
const widths = [24, 3, 8, 8, 8, 13, 13, 8, 8, 7, 7, 12, 7];
const line = (cells) => console.log(cells.map((c, k) => (k === 0 ? String(c).padEnd(widths[k]) : String(c).padStart(widths[k]))).join(' '));
line(head);
const summary = [];
for (const m of models) {
  for (const t of threads) {
    const c = results[m.id][t];
    const mo = median(c.ours), mr = median(c.ort), rr = ratios(c.ours, c.ort);
    const cvRatio = c.cvRatio.length ? median(c.cvRatio) : null;
    const q = NCNN_QUOTE[m.id], qi = t - 1;  // quoted at 1 and 2 threads
    const ncnn = q && q.ncnn[qi] !== undefined ? q.ncnn[qi] : null;
    const viaOrt = ncnn !== null ? median(rr) * q.ort[qi] / ncnn : null;
    line([m.id, t, f2(mo), f2(mr), f2(median(rr)), `[${f2(Math.min(...rr))}-${f2(Math.max(...rr))}]`,
      `${spread(c.ours)}/${spread(c.ort)}`, f2(median(ratios(c.oursCpu, c.ortCpu))), c.cv.length ? f2(median(c.cv)) : '-', f2(cvRatio), f2(ncnn), f2(ncnn !== null ? mo / ncnn : null),
      f2(viaOrt)]);
    summary.push({ model: m.id, threads: t, percept_ms: c.ours, ort_ms: c.ort, percept_cpu_ms: c.oursCpu, ort_cpu_ms: c.ortCpu,
      opencv_ms: c.cv, ratio_vs_ort: median(rr), cpu_ratio_vs_ort: median(ratios(c.oursCpu, c.ortCpu)),
      ratio_vs_opencv: cvRatio, ncnn_quoted_ms: ncnn, ratio_vs_ncnn_via_ort: viaOrt });
  }
}
console.log('\nper-round ours/ORT:');
for (const s of summary) console.log(`  ${s.model.padEnd(24)} ${s.threads}  ${ratios(s.percept_ms, s.ort_ms).map(f2).join(' ')}`);
if (a.json) fs.writeFileSync(a.json, JSON.stringify({ ort: ortVersion, rounds: Number(a.rounds), runs: Number(a.runs), rows: summary }, null, 1));
