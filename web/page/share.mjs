// The page's settings in the URL (a share link) and what is shown as CSV.

// settings: {function, convention, steps, start: [x, y] | null, optimizers: [names],
//            options: {optimizer: {option: number}}}
export function toHash(s) {
  const p = new URLSearchParams();
  p.set('f', s.function);
  p.set('c', s.convention);
  p.set('n', String(s.steps));
  if (s.start) p.set('s', s.start.map(String).join(','));
  p.set('o', s.optimizers.join(','));
  for (const [name, options] of Object.entries(s.options))
    for (const [option, value] of Object.entries(options)) p.set(`${name}.${option}`, String(value));
  return `#${p.toString()}`;
}

// The settings a hash names; what it does not name is left out (the page's defaults apply).
export function fromHash(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const s = {options: {}};
  if (p.has('f')) s.function = p.get('f');
  if (p.has('c')) s.convention = p.get('c');
  if (p.has('n') && Number.isInteger(Number(p.get('n')))) s.steps = Number(p.get('n'));
  if (p.has('s')) {
    const start = p.get('s').split(',').map(Number);
    if (start.length === 2 && start.every(Number.isFinite)) s.start = start;
  }
  if (p.has('o')) s.optimizers = p.get('o').split(',').filter(Boolean);
  for (const [key, value] of p.entries()) {
    const dot = key.indexOf('.');
    if (dot < 1 || !Number.isFinite(Number(value))) continue;
    const name = key.slice(0, dot);
    (s.options[name] ??= {})[key.slice(dot + 1)] = Number(value);
  }
  return s;
}

// One row per optimizer and point: t, x, y, f, and the step's gradient (at that point).
export function toCsv(fn, convention, runs) {
  const lines = ['function,convention,optimizer,lr,t,x,y,f,gx,gy'];
  for (const run of runs)
    for (let t = 0; t < run.value.length; ++t)
      lines.push([fn, convention, run.optimizer, run.lr, t, run.x[2 * t], run.x[2 * t + 1], run.value[t],
                  run.grad[2 * t], run.grad[2 * t + 1]].join(','));
  return `${lines.join('\n')}\n`;
}
