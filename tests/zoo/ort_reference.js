#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// ONNX Runtime (onnxruntime-node, CPU, graphOptimizationLevel 'all') on the model zoo: the
// second, independent reference beside PyTorch's, and the peer the bench script times.
//
//   node ort_reference.js --zoo DIR [--only ID,...] [--modules DIR]
//       for each DIR/<id>.onnx: runs it on DIR/<id>.input.npy, writes DIR/<id>.ort.npy and
//       prints its agreement with DIR/<id>.torch.npy. An entry whose .ort.npy is newer than
//       its model, its input, this script and the installed runtime is left as it is.
//   node ort_reference.js --run --model M.onnx --input X.npy --output Y.npy
//       runs the model once per row of X (a batch of inputs stacked on axis 0; the model takes
//       batch 1) and writes the outputs stacked the same way (tests/train: a taught model).
//   node ort_reference.js --time --model M.onnx --input X.npy --threads N [--runs R] [--warmup W]
//       times R runs (after W untimed ones) with intraOpNumThreads N, interOpNumThreads 1,
//       sequential execution; prints one JSON line: {"ms": {"min", "median", "max"}, "cpu_ms_median", ...}
//       (cpu: the process's CPU time per run, every thread).
//
// --modules DIR: where `npm install` put node_modules (default: the usual Node resolution).
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const a = {};
  for (let k = 0; k < argv.length; ++k) {
    const s = argv[k];
    if (!s.startsWith('--')) throw new Error(`unexpected argument '${s}'`);
    const name = s.slice(2);
    if (name === 'time') a.time = true;
    else if (name === 'run') a.run = true;
    else if (k + 1 < argv.length) a[name] = argv[++k];
    else throw new Error(`option ${s} needs a value`);
  }
  return a;
}

// .npy, little-endian float32, C order (what export_zoo.py writes and the C++ tests read).
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  if (!header.includes("'descr': '<f4'")) throw new Error(`${file}: not float32`);
  if (header.includes("'fortran_order': True")) throw new Error(`${file}: Fortran order`);
  const dims = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map((d) => d.trim()).filter((d) => d);
  const shape = dims.map(Number);
  const count = shape.reduce((p, d) => p * d, 1);
  const off = start + headerLen;
  if (buf.length < off + 4 * count) throw new Error(`${file}: truncated`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; ++i) data[i] = buf.readFloatLE(off + 4 * i);
  return { shape, data };
}

function writeNpy(file, shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; ++i) body.writeFloatLE(data[i], 4 * i);
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

// The runtime and the file it was loaded from (its date says when it was installed).
function loadOrt(modules) {
  const file = require.resolve('onnxruntime-node', modules ? { paths: [path.resolve(modules)] } : undefined);
  return { ort: require(file), file };
}

async function createSession(ort, model, threads) {
  const opts = { graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1 };
  if (threads) opts.intraOpNumThreads = threads;
  return ort.InferenceSession.create(model, opts);
}

async function runOnce(ort, session, input) {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
  const out = await session.run(feeds);
  return out[session.outputNames[0]];
}

function agreement(mine, ref) {
  let maxRef = 0, maxDiff = 0, am = 0, ar = 0;
  for (let i = 0; i < ref.length; ++i) {
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - mine[i]));
    if (mine[i] > mine[am]) am = i;
    if (ref[i] > ref[ar]) ar = i;
  }
  return { rel: maxDiff / Math.max(maxRef, 1e-30), sameTop1: am === ar };
}

const mtime = (f) => fs.statSync(f).mtimeMs;

async function references(ort, runtimeFile, a) {
  const dir = a.zoo;
  const only = (a.only || '').split(',').filter((s) => s);
  const ids = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort()
    .filter((id) => !only.length || only.includes(id));
  if (!ids.length) throw new Error(`no .onnx models in ${dir}`);
  let failed = 0;
  for (const id of ids) {
    const f = (s) => path.join(dir, id + s);
    const out = f('.ort.npy');
    const deps = [f('.onnx'), f('.input.npy'), __filename, runtimeFile];
    if (fs.existsSync(out) && deps.every((d) => mtime(d) <= mtime(out))) {
      console.log(`${id.padEnd(28)} up to date`);
      continue;
    }
    try {
      const t0 = process.hrtime.bigint();
      const session = await createSession(ort, f('.onnx'), 0);
      const result = await runOnce(ort, session, readNpy(f('.input.npy')));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      writeNpy(out, Array.from(result.dims, Number), result.data);
      let note = '';
      if (fs.existsSync(f('.torch.npy'))) {
        const g = agreement(result.data, readNpy(f('.torch.npy')).data);
        note = `vs PyTorch: max diff ${g.rel.toExponential(2)} x max|output|, top-1 ${g.sameTop1 ? 'same' : 'DIFFERENT'}`;
      }
      console.log(`${id.padEnd(28)} ${(ms / 1000).toFixed(1).padStart(5)} s  ${note}`);
      if (typeof session.release === 'function') await session.release();
    } catch (e) {
      ++failed;
      console.log(`${id.padEnd(28)} FAILED: ${e.message}`);
    }
  }
  if (failed) throw new Error(`${failed} model(s) failed in ONNX Runtime`);
}

function median(v) {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

async function timing(ort, a) {
  const threads = Number(a.threads || 1), runs = Number(a.runs || 10), warmup = Number(a.warmup || 2);
  const session = await createSession(ort, a.model, threads);
  const input = readNpy(a.input);
  for (let k = 0; k < warmup; ++k) await runOnce(ort, session, input);
  const ms = [], cpu = [];
  for (let k = 0; k < runs; ++k) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    await runOnce(ort, session, input);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);  // the whole process (every thread), as percept-bench's cpu_ms_median
    cpu.push((c.user + c.system) / 1e3);
  }
  console.log(JSON.stringify({ model: a.model, engine: 'onnxruntime-node', version: ort.env.versions.node, threads, runs,
    ms: { min: Math.min(...ms), median: median(ms), max: Math.max(...ms) }, cpu_ms_median: median(cpu) }));
}

async function runRows(ort, a) {
  const session = await createSession(ort, a.model, 1);
  const input = readNpy(a.input);
  const rows = input.shape[0], per = input.data.length / rows;
  const outs = [];
  let outShape = null;
  for (let r = 0; r < rows; ++r) {
    const x = { shape: [1, ...input.shape.slice(1)], data: input.data.slice(r * per, (r + 1) * per) };
    const y = await runOnce(ort, session, x);
    outShape = Array.from(y.dims, Number);
    outs.push(y.data);
  }
  const total = outs.reduce((n, o) => n + o.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const o of outs) { all.set(o, at); at += o.length; }
  writeNpy(a.output, [rows, ...outShape.slice(1)], all);
}

// Other scripts reuse the runtime's loading and the .npy reading (tests/int8/ort_check.js).
module.exports = { readNpy, writeNpy, loadOrt, createSession, runOnce };
if (require.main !== module) return;

(async () => {
  try {
    const a = parseArgs(process.argv.slice(2));
    const { ort, file } = loadOrt(a.modules || process.env.PERCEPT_ORT_MODULES);
    if (a.time) await timing(ort, a);
    else if (a.run) await runRows(ort, a);
    else if (a.zoo) await references(ort, file, a);
    else throw new Error('usage: ort_reference.js --zoo DIR | --run --model M --input X --output Y | --time --model M --input X --threads N');
  } catch (e) {
    console.error(`ort_reference: ${e.message}`);
    process.exit(1);
  }
})();
