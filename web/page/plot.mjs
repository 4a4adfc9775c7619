// Drawing only: the contour picture of f and the paths over it, and the loss chart. Every value
// drawn comes from the library (api.mjs); here they only become pixels.

const LEVELS = 16;

// The canvas's backing store at the device's resolution, its height a fraction of its width.
function fit(canvas, aspect) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(200, canvas.clientWidth);
  const height = Math.round(width * aspect);
  canvas.style.height = `${height}px`;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  return {width: canvas.width, height: canvas.height, ratio};
}

// A pale blue (low) to pale orange (high) ramp, so that the paths' colours stand out.
function shade(z) {
  const lo = [214, 230, 252], mid = [250, 250, 246], hi = [252, 215, 176];
  const [a, b, s] = z < 0.5 ? [lo, mid, z * 2] : [mid, hi, z * 2 - 1];
  return a.map((c, i) => Math.round(c + (b[i] - c) * s));
}

// The grid's values on a log scale of f − min over the grid, spread to [0, 1].
function levels(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const floor = (hi - lo) * 1e-6 || 1e-12;
  const z = new Float64Array(values.length);
  let zlo = Infinity, zhi = -Infinity;
  for (let i = 0; i < values.length; ++i) {
    z[i] = Number.isFinite(values[i]) ? Math.log(values[i] - lo + floor) : Infinity;
    if (Number.isFinite(z[i])) { zlo = Math.min(zlo, z[i]); zhi = Math.max(zhi, z[i]); }
  }
  for (let i = 0; i < z.length; ++i) z[i] = Number.isFinite(z[i]) ? (z[i] - zlo) / (zhi - zlo || 1) : 1;
  return z;
}

// The picture's height over its width: the window's, within [0.5, 0.9].
export function aspectOf(fn) {
  const [xlo, xhi, ylo, yhi] = fn.window;
  return Math.min(0.9, Math.max(0.5, (yhi - ylo) / (xhi - xlo)));
}

export class Plot {
  constructor(canvas) {
    this.canvas = canvas;
    this.background = document.createElement('canvas');
  }

  // fn: the function's description (window, minimizers); grid: f on nx × ny points, bottom row first.
  setFunction(fn, grid, nx, ny) {
    this.fn = fn;
    this.grid = {z: levels(grid), nx, ny};
    this.backgroundSize = null;
  }

  aspect() { return aspectOf(this.fn); }

  // Pixel ↔ data, in backing-store pixels.
  toPixel(x, y) {
    const [xlo, xhi, ylo, yhi] = this.fn.window;
    const clamp = (p) => Math.max(-1e6, Math.min(1e6, p));
    return [clamp((x - xlo) / (xhi - xlo) * this.canvas.width), clamp((yhi - y) / (yhi - ylo) * this.canvas.height)];
  }
  toData(px, py) {
    const [xlo, xhi, ylo, yhi] = this.fn.window;
    return [xlo + px / this.canvas.width * (xhi - xlo), yhi - py / this.canvas.height * (yhi - ylo)];
  }

  drawBackground(width, height) {
    const bg = this.background;
    bg.width = width;
    bg.height = height;
    const ctx = bg.getContext('2d');
    const {z, nx, ny} = this.grid;
    const image = new ImageData(nx, ny);
    for (let j = 0; j < ny; ++j)
      for (let i = 0; i < nx; ++i) {
        const [r, g, b] = shade(z[j * nx + i]);
        const k = ((ny - 1 - j) * nx + i) * 4;
        image.data.set([r, g, b, 255], k);
      }
    const small = document.createElement('canvas');
    small.width = nx;
    small.height = ny;
    small.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, width, height);
    this.drawContours(ctx, width, height);
    this.backgroundSize = `${width}x${height}`;
  }

  // Marching squares: each level's line crosses a cell's edges where z passes the level.
  drawContours(ctx, width, height) {
    const {z, nx, ny} = this.grid;
    const sx = width / (nx - 1), sy = height / (ny - 1);
    ctx.strokeStyle = 'rgba(60, 70, 90, 0.35)';
    ctx.lineWidth = Math.max(1, width / 900);
    ctx.beginPath();
    for (let l = 1; l < LEVELS; ++l) {
      const level = l / LEVELS;
      for (let j = 0; j + 1 < ny; ++j)
        for (let i = 0; i + 1 < nx; ++i) {
          const c = [z[j * nx + i], z[j * nx + i + 1], z[(j + 1) * nx + i + 1], z[(j + 1) * nx + i]];
          const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
          const cuts = [];
          for (let e = 0; e < 4; ++e) {
            const a = c[e], b = c[(e + 1) % 4];
            if ((a < level) !== (b < level)) {
              const s = (level - a) / (b - a);
              const [ax, ay] = corners[e], [bx, by] = corners[(e + 1) % 4];
              cuts.push([(ax + (bx - ax) * s) * sx, height - (ay + (by - ay) * s) * sy]);
            }
          }
          for (let k = 0; k + 1 < cuts.length; k += 2) {
            ctx.moveTo(cuts[k][0], cuts[k][1]);
            ctx.lineTo(cuts[k + 1][0], cuts[k + 1][1]);
          }
        }
    }
    ctx.stroke();
  }

  // runs: [{x: Float64Array of 2 per point}], shown up to point `upto`; colours by run.
  draw(runs, upto, colors, start) {
    const {width, height, ratio} = fit(this.canvas, this.aspect());
    if (this.backgroundSize !== `${width}x${height}`) this.drawBackground(width, height);
    const ctx = this.canvas.getContext('2d');
    ctx.drawImage(this.background, 0, 0);
    ctx.lineJoin = 'round';
    runs.forEach((run, k) => {
      const last = Math.min(upto, run.x.length / 2 - 1);
      ctx.strokeStyle = colors[k];
      ctx.lineWidth = 2 * ratio;
      ctx.beginPath();
      for (let p = 0; p <= last; ++p) {
        const [px, py] = this.toPixel(run.x[2 * p], run.x[2 * p + 1]);
        if (p === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.stroke();
      const [px, py] = this.toPixel(run.x[2 * last], run.x[2 * last + 1]);
      ctx.fillStyle = colors[k];
      ctx.beginPath();
      ctx.arc(px, py, 4 * ratio, 0, 2 * Math.PI);
      ctx.fill();
    });
    ctx.strokeStyle = '#111';
    ctx.lineWidth = 2 * ratio;
    for (const [mx, my] of this.fn.minimizers) {  // minima: crosses
      const [px, py] = this.toPixel(mx, my), r = 6 * ratio;
      ctx.beginPath();
      ctx.moveTo(px - r, py - r); ctx.lineTo(px + r, py + r);
      ctx.moveTo(px - r, py + r); ctx.lineTo(px + r, py - r);
      ctx.stroke();
    }
    for (const [qx, qy] of this.fn.saddle_points) {  // saddle points: diamonds
      const [px, py] = this.toPixel(qx, qy), r = 6 * ratio;
      ctx.beginPath();
      ctx.moveTo(px, py - r); ctx.lineTo(px + r, py); ctx.lineTo(px, py + r); ctx.lineTo(px - r, py); ctx.closePath();
      ctx.stroke();
    }
    const [sx, sy] = this.toPixel(start[0], start[1]);  // the start: a ring
    ctx.beginPath();
    ctx.arc(sx, sy, 6 * ratio, 0, 2 * Math.PI);
    ctx.stroke();
    this.drawAxes(ctx, width, height, ratio);
  }

  // The window's edges, written at the corners.
  drawAxes(ctx, width, height, ratio) {
    const [xlo, xhi, ylo, yhi] = this.fn.window;
    ctx.fillStyle = '#444';
    ctx.font = `${11 * ratio}px system-ui, sans-serif`;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(`x ${xlo}`, 4 * ratio, height - 3 * ratio);
    ctx.textAlign = 'right';
    ctx.fillText(`x ${xhi}`, width - 4 * ratio, height - 3 * ratio);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(`y ${yhi}`, 4 * ratio, 3 * ratio);
    ctx.textBaseline = 'bottom';
    ctx.fillText(`y ${ylo}`, 4 * ratio, height - 16 * ratio);
    ctx.textBaseline = 'alphabetic';
  }
}

// f − f* per step on a log scale, one line per run, and a rule at the step shown.
export function drawLoss(canvas, runs, minimum, colors, shown) {
  const {width, height, ratio} = fit(canvas, 0.3);
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  const gap = (v) => Math.log10(Math.max(v - minimum, 1e-16));
  let lo = Infinity, hi = -Infinity, steps = 1;
  for (const run of runs) {
    steps = Math.max(steps, run.value.length - 1);
    for (const v of run.value) if (Number.isFinite(v)) { lo = Math.min(lo, gap(v)); hi = Math.max(hi, gap(v)); }
  }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const left = 46 * ratio, bottom = 18 * ratio;
  const px = (t) => left + t / steps * (width - left - 4 * ratio);
  const py = (g) => (hi - g) / (hi - lo) * (height - bottom - 6 * ratio) + 4 * ratio;
  ctx.fillStyle = '#555';
  ctx.font = `${11 * ratio}px system-ui, sans-serif`;
  ctx.fillText(`1e${Math.round(hi)}`, 2 * ratio, py(hi) + 10 * ratio);
  ctx.fillText(`1e${Math.round(lo)}`, 2 * ratio, py(lo));
  ctx.fillText('0', left, height - 4 * ratio);
  ctx.fillText(String(steps), width - 30 * ratio, height - 4 * ratio);
  runs.forEach((run, k) => {
    ctx.strokeStyle = colors[k];
    ctx.lineWidth = 1.5 * ratio;
    ctx.beginPath();
    run.value.forEach((v, t) => (t === 0 ? ctx.moveTo(px(t), py(gap(v))) : ctx.lineTo(px(t), py(gap(v)))));
    ctx.stroke();
  });
  ctx.strokeStyle = 'rgba(0, 0, 0, 0.4)';
  ctx.beginPath();
  ctx.moveTo(px(shown), 0);
  ctx.lineTo(px(shown), height - bottom);
  ctx.stroke();
  return {stepAt: (cssX) => Math.round(Math.min(steps, Math.max(0, (cssX * ratio - left) / (width - left - 4 * ratio) * steps)))};
}
