// The library's JavaScript API: the WebAssembly module built from web/bindings/descent_web.cpp,
// wrapped so that each call takes and returns plain objects. It computes nothing itself: every
// number comes from the C++ library. Works in the browser and under Node (tests/web/).
import createDescent from './descent.mjs';

export async function loadDescent() {
  const wasm = await createDescent();
  const call = (name, request) => {
    const text = request === undefined ? wasm.ccall(name, 'string', [], [])
                                       : wasm.ccall(name, 'string', ['string'], [JSON.stringify(request)]);
    const answer = JSON.parse(text);
    if (answer && answer.error) throw new Error(answer.error);
    return answer;
  };
  // A column [offset, count] of the last answer's numbers, copied out of the module's memory.
  const column = ([offset, count]) => {
    const base = wasm.ccall('descent_numbers', 'number', [], []) / 8;
    return wasm.HEAPF64.slice(base + offset, base + offset + count);
  };
  return {
    // [{name, summary, convex, window, start, minimum, minimizers, saddle_points, steps, seed_lr}]
    functions: () => call('descent_functions'),
    // [{name, rule, summary, beta, beta1, beta2, options: [{name, flag, doc, range, defaults: {seed, pytorch, keras}}]}]
    optimizers: () => call('descent_optimizers'),
    // f on an nx × ny grid over the function's window, bottom row first: a Float64Array.
    grid(fn, nx, ny) {
      return column(call('descent_grid', {function: fn, nx, ny}).values);
    },
    // {function, start?, steps?, convention?, runs: [{optimizer, options?: {name: text}}]}: each run
    // gets x, grad (2 numbers per point from the start on), value, eta and slots.NAME (2 per step)
    // as Float64Arrays.
    minimize(request) {
      const answer = call('descent_minimize', request);
      for (const run of answer.runs) {
        for (const key of ['x', 'value', 'grad', 'eta']) run[key] = column(run[key]);
        for (const slot of Object.keys(run.slots)) run.slots[slot] = column(run.slots[slot]);
      }
      return answer;
    },
  };
}
