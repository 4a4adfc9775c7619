// The playground page: settings → the library's minimize (api.mjs) → the picture. The page keeps
// the settings and draws; every number comes from the WebAssembly build of the C++ library.
import {loadDescent} from './api.mjs';
import {renderExplain} from './explain.mjs';
import {aspectOf, drawLoss, Plot} from './plot.mjs';
import {fromHash, toCsv, toHash} from './share.mjs';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#7c3aed',
                '#b45309', '#0f766e', '#db2777', '#475569', '#65a30d'];
const TUTORIAL = ['sgd', 'sgdm', 'adagrad', 'rmsprop', 'adam'];
const $ = (id) => document.getElementById(id);

const api = await loadDescent();
const functions = api.functions();
const optimizers = api.optimizers();
const plot = new Plot($('plot'));
const state = {function: 'rosenbrock', convention: 'seed', steps: 0, start: null, optimizers: TUTORIAL.slice(),
               options: {}, editing: 'sgd', shown: 0, hovered: null, playing: true, speed: 2};
let answer = null;    // the last minimize answer
let loss = null;      // the loss chart's step lookup
const timings = [];   // milliseconds from a setting's change to the redrawn page (re-run included)
const runTimes = [];  // of which the library's minimize

const fn = () => functions.find((f) => f.name === state.function);
const info = (name) => optimizers.find((o) => o.name === name);
const color = (name) => COLORS[optimizers.findIndex((o) => o.name === name) % COLORS.length];

// ---- options and their sliders ----------------------------------------------------------

// The sliders: the tutorial's lr, β, β1, β2, ε, each mapped to the option the optimizer names so.
function sliderSpecs(name) {
  const o = info(name);
  const has = (option) => option && o.options.some((x) => x.name === option);
  return [
    {key: 'lr', label: 'lr', option: 'lr', log: true, min: -4, max: 1, step: 0.01},
    {key: 'beta', label: `β (${o.beta || 'none'})`, option: o.beta, min: 0, max: 0.999, step: 0.001},
    {key: 'beta1', label: 'β1', option: o.beta1, min: 0, max: 0.999, step: 0.001},
    {key: 'beta2', label: 'β2', option: o.beta2, min: 0, max: 0.9999, step: 0.0001},
    {key: 'eps', label: 'ε', option: 'eps', log: true, min: -12, max: -1, step: 0.1},
  ].map((s) => ({...s, enabled: has(s.option)}));
}

function defaultValue(name, option) {
  if (option === 'lr' && state.convention === 'seed' && fn().seed_lr[name] !== undefined) return fn().seed_lr[name];
  return info(name).options.find((x) => x.name === option).defaults[state.convention];
}
const value = (name, option) => state.options[name]?.[option] ?? defaultValue(name, option);

function buildSliders() {
  const box = $('sliders');
  box.replaceChildren();
  for (const s of sliderSpecs(state.editing)) {
    const div = document.createElement('div');
    div.className = s.enabled ? 'slider' : 'slider off';
    const label = document.createElement('label');
    const input = document.createElement('input');
    const out = document.createElement('output');
    Object.assign(input, {type: 'range', id: `slider-${s.key}`, min: s.min, max: s.max, step: s.step,
                          disabled: !s.enabled});
    label.append(`${s.label} `, out, input);
    div.appendChild(label);
    box.appendChild(div);
    if (!s.enabled) { out.textContent = '-'; continue; }
    const v = value(state.editing, s.option);
    input.value = s.log ? Math.log10(v) : v;
    out.textContent = String(Number(v.toPrecision(6)));
    input.addEventListener('input', () => {
      const x = s.log ? Number((10 ** Number(input.value)).toPrecision(6)) : Number(input.value);
      (state.options[state.editing] ??= {})[s.option] = x;
      out.textContent = String(x);
      changed();
    });
  }
}

// ---- running and drawing ----------------------------------------------------------------

function request() {
  return {
    function: state.function, convention: state.convention, steps: state.steps,
    ...(state.start ? {start: state.start} : {}),
    runs: state.optimizers.map((optimizer) => ({
      optimizer,
      options: Object.fromEntries(Object.entries(state.options[optimizer] ?? {}).map(([k, v]) => [k, String(v)])),
    })),
  };
}

function run() {
  try {
    answer = api.minimize(request());
    const diverged = answer.runs.filter((r) => r.diverged_at !== null)
                         .map((r) => `${r.optimizer} diverged at step ${r.diverged_at}`);
    $('status').textContent = diverged.join('; ');
  } catch (e) {
    $('status').textContent = e.message;
  }
}

function draw() {
  if (!answer) return;
  const colors = answer.runs.map((r) => color(r.optimizer));
  const start = answer.start;
  plot.draw(answer.runs, state.shown, colors, start);
  loss = drawLoss($('loss'), answer.runs, fn().minimum, colors, state.shown);
  const t = Math.max(1, state.hovered ?? state.shown);
  $('explain-step').textContent = `t = ${t}`;
  renderExplain($('explain'), answer.runs, t);
  renderLegend(answer.runs);
  $('start').textContent = `(${start.map((x) => Number(x.toPrecision(6))).join(', ')})`;
  $('shown').max = state.steps;
  $('shown').value = state.shown;
  $('shown-value').textContent = ` ${state.shown} / ${state.steps}`;
}

// Each run's colour, learning rate and f where it is shown.
function renderLegend(runs) {
  $('legend').replaceChildren(...runs.map((r) => {
    const span = document.createElement('span');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = color(r.optimizer);
    const t = Math.min(state.shown, r.value.length - 1);
    span.append(swatch, `${r.optimizer} lr ${Number(r.lr.toPrecision(6))}: f = ${Number(r.value[t].toPrecision(6))}`);
    return span;
  }));
}

// A setting changed: re-run every optimizer and redraw, timed.
function changed() {
  const t0 = performance.now();
  run();
  const t1 = performance.now();
  draw();
  timings.push(performance.now() - t0);
  runTimes.push(t1 - t0);
  shareLater();
}

// The URL follows the settings, at most every 300 ms: browsers throttle frequent replaceState.
let shareTimer = null;
function shareLater() {
  clearTimeout(shareTimer);
  shareTimer = setTimeout(() => {
    history.replaceState(null, '', toHash(state));
    $('link').value = location.href;
  }, 300);
}

function animate() {
  if (!state.playing) return;
  state.shown = Math.min(state.steps, state.shown + state.speed);
  if (state.shown >= state.steps) state.playing = false;
  draw();
  if (state.playing) requestAnimationFrame(animate);
}
function play() {
  if (state.playing) return;
  if (state.shown >= state.steps) state.shown = 0;
  state.playing = true;
  requestAnimationFrame(animate);
}

// ---- the settings' controls -------------------------------------------------------------

function chooseFunction(name, keep = {}) {
  state.function = name;
  state.start = keep.start ?? null;
  state.steps = keep.steps ?? fn().steps;
  state.options = keep.options ?? {};
  const nx = 160, ny = Math.round(160 * aspectOf(fn()));
  plot.setFunction(fn(), api.grid(name, nx, ny), nx, ny);
  $('function').value = name;
  $('function-summary').textContent = fn().summary;
  $('steps').value = state.steps;
}

function buildOptimizerList() {
  const box = $('optimizers');
  box.replaceChildren();
  for (const o of optimizers) {
    const label = document.createElement('label');
    const box1 = document.createElement('input');
    Object.assign(box1, {type: 'checkbox', value: o.name, checked: state.optimizers.includes(o.name), id: `use-${o.name}`});
    box1.addEventListener('change', () => {
      state.optimizers = optimizers.map((x) => x.name).filter((n) => n === o.name ? box1.checked : state.optimizers.includes(n));
      if (!state.optimizers.includes(state.editing)) state.editing = state.optimizers[0] ?? o.name;
      buildEditing();
      changed();
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = color(o.name);
    label.title = o.summary;
    label.append(box1, swatch, o.name);
    box.appendChild(label);
  }
}

function buildEditing() {
  const select = $('editing');
  select.replaceChildren(...state.optimizers.map((n) => new Option(n, n, false, n === state.editing)));
  buildSliders();
}

function wire() {
  $('function').replaceChildren(...functions.map((f) => new Option(f.name, f.name)));
  $('function').addEventListener('change', () => { chooseFunction($('function').value); buildSliders(); state.shown = 0; changed(); play(); });
  $('convention').addEventListener('change', () => { state.convention = $('convention').value; state.options = {}; buildSliders(); changed(); });
  $('steps').addEventListener('change', () => {
    const n = Math.round(Number($('steps').value));
    if (!(n >= 1 && n <= 5000)) { $('status').textContent = 'Steps must be a whole number in [1, 5000]'; return; }
    state.steps = n;
    state.shown = Math.min(state.shown, n);
    changed();
  });
  $('editing').addEventListener('change', () => { state.editing = $('editing').value; buildSliders(); });
  $('reset').addEventListener('click', () => { delete state.options[state.editing]; buildSliders(); changed(); });
  $('play').addEventListener('click', play);
  $('pause').addEventListener('click', () => { state.playing = false; });
  $('step').addEventListener('click', () => { state.playing = false; state.shown = Math.min(state.steps, state.shown + 1); draw(); });
  $('speed').addEventListener('input', () => { state.speed = Number($('speed').value); });
  $('shown').addEventListener('input', () => { state.playing = false; state.shown = Number($('shown').value); draw(); });
  $('copy-link').addEventListener('click', () => navigator.clipboard.writeText(location.href).catch(() => $('link').select()));
  $('png').addEventListener('click', () => { $('png').href = $('plot').toDataURL('image/png'); });
  $('csv').addEventListener('click', () => {
    $('csv').href = URL.createObjectURL(new Blob([toCsv(state.function, state.convention, answer.runs)], {type: 'text/csv'}));
  });
  wirePlot();
}

// Click or drag sets the start point; hovering a path shows that step; arrow keys nudge the start.
function wirePlot() {
  const canvas = $('plot');
  const at = (e) => {
    const r = canvas.getBoundingClientRect(), ratio = canvas.width / r.width;
    return [(e.clientX - r.left) * ratio, (e.clientY - r.top) * ratio];
  };
  const moveStart = (e) => { state.start = plot.toData(...at(e)); changed(); };
  canvas.addEventListener('pointerdown', (e) => { canvas.setPointerCapture(e.pointerId); moveStart(e); });
  canvas.addEventListener('pointermove', (e) => {
    if (canvas.hasPointerCapture(e.pointerId)) { moveStart(e); return; }
    state.hovered = nearestStep(...at(e));
    draw();
  });
  canvas.addEventListener('pointerleave', () => { state.hovered = null; draw(); });
  canvas.addEventListener('keydown', (e) => {
    const [xlo, xhi, ylo, yhi] = fn().window;
    const d = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1]}[e.key];
    if (!d) return;
    e.preventDefault();
    const s = state.start ?? answer.start;
    state.start = [s[0] + d[0] * (xhi - xlo) / 50, s[1] + d[1] * (yhi - ylo) / 50];
    changed();
  });
  $('loss').addEventListener('pointermove', (e) => {
    if (!loss) return;
    state.hovered = loss.stepAt(e.clientX - $('loss').getBoundingClientRect().left);
    draw();
  });
  $('loss').addEventListener('pointerleave', () => { state.hovered = null; draw(); });
}

// The step of the drawn point nearest to a pixel (within 12 px), or null.
function nearestStep(px, py) {
  let best = null, bestD = (12 * (window.devicePixelRatio || 1)) ** 2;
  for (const r of answer?.runs ?? [])
    for (let t = 0; t <= Math.min(state.shown, r.value.length - 1); ++t) {
      const [x, y] = plot.toPixel(r.x[2 * t], r.x[2 * t + 1]);
      const d = (x - px) ** 2 + (y - py) ** 2;
      if (d < bestD) { bestD = d; best = t; }
    }
  return best;
}

// ---- start ------------------------------------------------------------------------------

const shared = fromHash(location.hash);
wire();
chooseFunction(functions.some((f) => f.name === shared.function) ? shared.function : 'rosenbrock', shared);
if (['seed', 'pytorch', 'keras'].includes(shared.convention)) state.convention = shared.convention;
$('convention').value = state.convention;
if (shared.optimizers) state.optimizers = optimizers.map((o) => o.name).filter((n) => shared.optimizers.includes(n));
state.editing = state.optimizers[0] ?? 'sgd';
buildOptimizerList();
buildEditing();
changed();
requestAnimationFrame(animate);
window.addEventListener('resize', draw);

// For the browser test (tests/web/page_test.py) and the curious: the state, the last answer, timings.
window.descentPage = {state, answer: () => answer, timings, runTimes, api, ready: true};
