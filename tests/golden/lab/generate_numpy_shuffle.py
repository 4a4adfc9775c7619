#!/usr/bin/python3
"""Writes numpy_shuffle.json: what NumPy's legacy generator does for the course's

    np.random.seed(seed); np.random.shuffle(x)

for tests/lab_numpy_shuffle_test.cpp (descent's lab::NumpyRandomState and lab::shuffle with
Shuffle::numpy). Run it with Debian's NumPy (python3-numpy; the pyenv python3 lacks it):

    /usr/bin/python3 tests/golden/lab/generate_numpy_shuffle.py

Everything in the file but "interval_64bit" comes from NumPy itself. NumPy cannot shuffle more
than 2^32 items on this machine, so the 64-bit branch of its bounded integer (random_interval
for max > 2^32 − 1: two words per draw, the first high) is computed by a plain-Python MT19937
written from its definition; that model is first checked against NumPy on every shuffle below.
"""
import json
import os
import random

import numpy as np
from sklearn.datasets import load_iris


class MT19937:
    """The 32-bit Mersenne Twister with NumPy's integer seeding (Knuth's recurrence)."""

    def __init__(self, seed):
        self.key = []
        for i in range(624):
            self.key.append(seed)
            seed = (1812433253 * (seed ^ (seed >> 30)) + i + 1) & 0xFFFFFFFF
        self.pos = 624

    def next_uint32(self):
        if self.pos >= 624:
            k = self.key
            for i in range(624):
                y = (k[i] & 0x80000000) | (k[(i + 1) % 624] & 0x7FFFFFFF)
                k[i] = k[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            self.pos = 0
        y = self.key[self.pos]
        self.pos += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        return y ^ (y >> 18)

    def next_uint64(self):
        high = self.next_uint32()
        return high << 32 | self.next_uint32()

    def interval(self, top):
        if top == 0:
            return 0
        mask = top
        for shift in (1, 2, 4, 8, 16, 32):
            mask |= mask >> shift
        while True:
            x = (self.next_uint32() if top <= 0xFFFFFFFF else self.next_uint64()) & mask
            if x <= top:
                return x


def model_shuffle(seed, n):
    r = MT19937(seed)
    x = list(range(n))
    for i in range(n - 1, 0, -1):
        j = r.interval(i)
        x[i], x[j] = x[j], x[i]
    return x


def numpy_order(seed, n):
    x = np.arange(n)
    np.random.seed(seed)
    np.random.shuffle(x)
    return [int(v) for v in x]


def main():
    pick = random.Random(20261201)  # which seeds and lengths; the orders themselves are NumPy's
    seeds = [0, 1, 2, 116, 2**31 - 1, 2**31, 2**32 - 1] + [pick.randrange(2**32) for _ in range(12)]
    lengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 32, 33, 100, 120, 150, 255, 256, 257]
    lengths += [pick.randrange(2, 300) for _ in range(4)]
    cases = []
    for seed in seeds:
        for n in lengths:
            order = numpy_order(seed, n)
            assert order == model_shuffle(seed, n), (seed, n)
            cases.append({"seed": seed, "n": n, "order": order})
    # Longer arrays: the first and last positions after the shuffle (the whole order is long).
    long_cases = []
    for seed, n in [(116, 1797), (7, 65537), (pick.randrange(2**32), 300000)]:
        order = numpy_order(seed, n)
        assert order[:50] == model_shuffle(seed, n)[:50], (seed, n)
        long_cases.append({"seed": seed, "n": n, "head": order[:50], "tail": order[-50:],
                           "weighted_sum": sum(i * v for i, v in enumerate(order))})
    # A 2-D array (the course's x_data is 150 x 4) moves whole rows in the same order.
    np.random.seed(116)
    rows = np.arange(24).reshape(8, 3)
    np.random.shuffle(rows)
    # The course's iris split: scikit-learn's iris, shuffled with seed 116 (features and labels
    # alike), the last 30 samples test.
    iris = load_iris()
    x, y = iris.data.copy(), iris.target.copy()
    np.random.seed(116)
    np.random.shuffle(x)
    np.random.seed(116)
    np.random.shuffle(y)
    # The 64-bit branch, from the model (see above): after `seed`, interval(top) for each top.
    r = MT19937(116)
    tops = [2**32 - 1, 2**32, 2**32 + 1, 2**40 + 12345, 2**63, 2**64 - 1]
    wide = [str(r.interval(t)) for t in tops]
    out = {
        "generator": "tests/golden/lab/generate_numpy_shuffle.py",
        "numpy_version": np.__version__,
        "cases": cases,
        "long_cases": long_cases,
        "rows_seed116_8x3": rows.tolist(),
        "iris_seed116_x": x.tolist(),
        "iris_seed116_y": [int(v) for v in y],
        "interval_64bit": {"seed": 116, "tops": [str(t) for t in tops], "values": wide},
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy_shuffle.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
