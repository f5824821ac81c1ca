#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// ONNX Runtime (onnxruntime-node, CPU) on the int8 models percept-quantize wrote: a standard
// QDQ file must run there too. For each model and photo (the inputs, fp32 outputs and Percept's
// int8 outputs that test_int8_accuracy.cpp wrote), ONNX Runtime's int8 result must keep the
// fp32 top-1, as Percept's does; the largest probability difference between the two int8
// engines is printed.
//
//   node ort_check.js --dir INT8_DIR [--modules DIR]
//       INT8_DIR/models/<name>.int8.onnx, INT8_DIR/data/<name>/<photo>.{input,float,int8}.npy
'use strict';
const fs = require('fs');
const path = require('path');
const { readNpy, loadOrt, createSession, runOnce } = require('../zoo/ort_reference.js');

function softmax(v) {
  const m = Math.max(...v);
  const e = Array.from(v, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

(async () => {
  try {
    const args = process.argv.slice(2);
    const opt = (name) => { const k = args.indexOf(name); return k >= 0 ? args[k + 1] : undefined; };
    const dir = opt('--dir');
    if (!dir) throw new Error('usage: ort_check.js --dir INT8_DIR [--modules DIR]');
    const { ort } = loadOrt(opt('--modules') || process.env.PERCEPT_ORT_MODULES);
    const names = fs.readdirSync(path.join(dir, 'data')).sort();
    if (!names.length) throw new Error(`nothing in ${dir}/data (run the int8 accuracy test first)`);
    let failed = 0;
    for (const name of names) {
      const session = await createSession(ort, path.join(dir, 'models', name + '.int8.onnx'), 1);
      const photos = fs.readdirSync(path.join(dir, 'data', name)).filter((f) => f.endsWith('.input.npy')).sort();
      let kept = 0, maxDiff = 0;
      const flips = [];
      for (const p of photos) {
        const stem = path.join(dir, 'data', name, p.slice(0, -'.input.npy'.length));
        const ours = softmax(readNpy(stem + '.int8.npy').data), fp32 = readNpy(stem + '.float.npy').data;
        const theirs = softmax((await runOnce(ort, session, readNpy(stem + '.input.npy'))).data);
        if (argmax(theirs) === argmax(fp32)) ++kept;
        else flips.push(path.basename(stem));
        for (let i = 0; i < ours.length; ++i) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
      }
      if (kept !== photos.length) ++failed;
      console.log(`${name.padEnd(24)} ONNX Runtime: top-1 kept ${kept}/${photos.length}${flips.length ? ' (not on ' + flips.join(', ') + ')' : ''}, ` +
                  `max |probability difference| vs Percept's int8 ${maxDiff.toFixed(3)}`);
    }
    if (failed) throw new Error(`${failed} model(s) lost the fp32 top-1 in ONNX Runtime`);
  } catch (e) {
    console.error(`ort_check: ${e.message}`);
    process.exit(1);
  }
})();
