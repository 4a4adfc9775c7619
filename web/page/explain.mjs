// The explain table: for step t, each optimizer's row per coordinate in the tutorial's notation,
// with the numbers the library recorded during the run (api.mjs). Each cell shows the value as
// `descent explain` prints it (printf's %.6g) and keeps it exactly in data-value.

// printf's %.6g: six significant digits, exponent form below 1e-4 and from 1e6, no trailing zeros.
export function g6(x) {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, exponent] = x.toExponential(5).split('e');
  const e = Number(exponent);
  const strip = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (e < -4 || e >= 6) return `${strip(mantissa)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return strip(x.toFixed(5 - e));
}

function cell(tr, value) {
  const td = document.createElement('td');
  if (value === undefined) {
    td.textContent = '-';
  } else {
    td.textContent = g6(value);
    td.dataset.value = String(value);  // the shortest text that reads back as the same double
  }
  tr.appendChild(td);
}

// The state slots beyond m and v that a run keeps (Adamax's u, AMSGrad's v_max, ...), as explain's
// extra columns.
function extras(runs) {
  const names = [];
  for (const run of runs)
    for (const slot of Object.keys(run.slots)) if (slot !== 'm' && slot !== 'v' && !names.includes(slot)) names.push(slot);
  return names;
}

export function renderExplain(table, runs, t) {
  table.replaceChildren();
  const extra = extras(runs);
  const head = table.createTHead().insertRow();
  for (const name of ['optimizer', '', 'g_t', 'm_t', 'V_t', 'η_t', 'w_{t+1}', ...extra.map((s) => `${s}_t`)]) {
    const th = document.createElement('th');
    th.textContent = name;
    head.appendChild(th);
  }
  const body = table.createTBody();
  runs.forEach((run) => {
    const steps = run.value.length - 1;
    ['x', 'y'].forEach((coordinate, i) => {
      const tr = body.insertRow();
      tr.dataset.optimizer = run.optimizer;
      tr.dataset.coordinate = coordinate;
      const name = document.createElement('td');
      name.textContent = i === 0 ? run.optimizer : '';
      tr.appendChild(name);
      const which = document.createElement('td');
      which.textContent = coordinate;
      tr.appendChild(which);
      if (t < 1 || t > steps) {
        for (let k = 0; k < 5 + extra.length; ++k) cell(tr, undefined);
        return;
      }
      const at = 2 * (t - 1) + i;  // step t's entry of this coordinate
      cell(tr, run.grad[at]);
      cell(tr, run.slots.m ? run.slots.m[at] : undefined);
      cell(tr, run.slots.v ? run.slots.v[at] : undefined);
      cell(tr, run.eta[at]);
      cell(tr, run.x[2 * t + i]);
      for (const slot of extra) cell(tr, run.slots[slot] ? run.slots[slot][at] : undefined);
    });
  });
}
