// The WebAssembly module's JavaScript API (web/page/api.mjs) on bad input: each error is the
// library's own one-line message, the one `descent minimize` prints for the same input, and the
// module stays usable after it.
//   node tests/web/api_test.mjs PATH/TO/descent PATH/TO/site
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {resolve} from 'node:path';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';

const [cli, site] = process.argv.slice(2);
if (!cli || !site) throw new Error('usage: api_test.mjs DESCENT_CLI SITE_DIR');
if (!existsSync(resolve(site, 'api.mjs'))) throw new Error(`${site}/api.mjs is missing: build the page with make web`);
const {loadDescent} = await import(pathToFileURL(resolve(site, 'api.mjs')));
const descent = await loadDescent();

// The CLI's message for the same input: exit code 2 and one line "descent: error: MESSAGE".
function cliError(args) {
  const r = spawnSync(cli, ['minimize', 'rosenbrock', ...args], {encoding: 'utf8'});
  assert.equal(r.status, 2, `descent minimize ${args.join(' ')} exits 2`);
  return r.stderr.trim().replace(/^descent: error: /, '');
}

const cases = [
  ['an unknown optimizer', {runs: [{optimizer: 'sgdx'}]}, ['--optimizers', 'sgdx']],
  ['a learning rate out of range', {runs: [{optimizer: 'sgd', options: {lr: '-1'}}]}, ['--optimizers', 'sgd', '--lr', '-1']],
  ['beta1 out of range', {runs: [{optimizer: 'adam', options: {beta1: '1.5'}}]}, ['--optimizers', 'adam', '--beta1', '1.5']],
];
for (const [what, request, args] of cases)
  test(`${what}: the library's message, as the CLI prints it`, () => {
    assert.throws(() => descent.minimize({function: 'rosenbrock', ...request}), (e) => {
      assert.equal(e.message, cliError(args));
      return true;
    });
  });

test('an empty option value is an error, not a zero', () => {
  assert.throws(() => descent.minimize({function: 'rosenbrock', runs: [{optimizer: 'sgd', options: {lr: ''}}]}),
                /sgd: option lr = '' is not a number/);
});

test('a start point where f overflows is an error naming the function', () => {
  assert.throws(() => descent.minimize({function: 'rosenbrock', start: [1e200, 1e200], runs: [{optimizer: 'sgd'}]}),
                /rosenbrock: .*inf at the start point \(1e\+200, 1e\+200\)/);
});

test('an unknown function is an error listing the known ones', () => {
  assert.throws(() => descent.grid('nope', 10, 10), /nope.*rosenbrock/);
});

test('a run that overflows ends at its last finite point, as in descent minimize', () => {
  const r = descent.minimize({function: 'rosenbrock', steps: 50, runs: [{optimizer: 'sgd', options: {lr: '1'}}]}).runs[0];
  assert.ok(r.diverged_at > 0 && r.diverged_at <= 50, `diverged_at ${r.diverged_at}`);
  assert.equal(r.x.length, 2 * r.diverged_at);  // the points before the step that overflowed
  assert.ok(r.value.every(Number.isFinite));
});

test('the module still answers after every error', () => {
  const r = descent.minimize({function: 'himmelblau', steps: 3, runs: [{optimizer: 'adam'}]}).runs[0];
  assert.equal(r.x.length, 8);
});
