// The WebAssembly build and the native CLI compute the same trajectories, bit for bit in double:
// every optimizer × convention on three test functions, each run as `descent minimize --format
// json` prints it against the module's minimize (web/page/api.mjs) under Node.
//   node tests/web/trajectory_test.mjs PATH/TO/descent PATH/TO/site
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {resolve} from 'node:path';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';

const [cli, site] = process.argv.slice(2);
if (!cli || !site) throw new Error('usage: trajectory_test.mjs DESCENT_CLI SITE_DIR');
if (!existsSync(resolve(site, 'api.mjs'))) throw new Error(`${site}/api.mjs is missing: build the page with make web`);
const {loadDescent} = await import(pathToFileURL(resolve(site, 'api.mjs')));
const descent = await loadDescent();

const names = descent.optimizers().map((o) => o.name);
// Polynomials only: their values are sums and products, exactly rounded on both sides, so that
// any difference is the optimizers' (sin, cos and exp come from different C libraries).
const functions = ['rosenbrock', 'himmelblau', 'ill-bowl'];
const conventions = ['seed', 'pytorch', 'keras'];

// Same bits: Object.is tells 0 from -0 and equals NaN to NaN.
function sameBits(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; ++i)
    if (!Object.is(actual[i], expected[i]))
      assert.fail(`${what}[${i}]: wasm ${actual[i]} != native ${expected[i]} (differ by ${actual[i] - expected[i]})`);
}

test('the CLI lists the optimizers the module lists', () => {
  const help = execFileSync(cli, ['explain', '--help'], {encoding: 'utf8'});
  for (const name of names) assert.match(help, new RegExp(`\\b${name}\\b`));
  assert.ok(names.length >= 5);
});

for (const fn of functions)
  for (const convention of conventions)
    test(`${fn}, ${convention}: every optimizer's trajectory is bit-identical`, () => {
      const native = JSON.parse(execFileSync(
          cli, ['minimize', fn, '--optimizers', names.join(','), '--convention', convention, '--format', 'json'],
          {encoding: 'utf8'}));
      const wasm = descent.minimize({function: fn, convention, runs: names.map((optimizer) => ({optimizer}))});
      assert.equal(wasm.runs.length, native.runs.length);
      let steps = 0;
      native.runs.forEach((n, k) => {
        const w = wasm.runs[k];
        const what = `${fn} ${convention} ${n.optimizer}`;
        assert.equal(w.optimizer, n.optimizer);
        assert.ok(Object.is(w.lr, n.lr), `${what}: lr ${w.lr} != ${n.lr}`);
        assert.equal(w.steps, n.steps, `${what}: steps`);
        assert.equal(w.diverged_at, n.diverged_at, `${what}: diverged_at`);
        sameBits(w.x, n.trajectory.flat(), `${what}: trajectory`);
        sameBits([w.value[w.value.length - 1]], [n.final_value], `${what}: final value`);
        steps += n.steps;
      });
      assert.ok(steps > 0, 'some run took a step');
    });
