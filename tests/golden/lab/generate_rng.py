#!/usr/bin/python3
"""Writes rng.json: the lab's seeded random numbers (include/descent/lab/random.hpp) computed
by an independent implementation in plain Python, for tests/lab_random_test.cpp:

    /usr/bin/python3 tests/golden/lab/generate_rng.py

MT19937-64 is written out from its published definition (Matsumoto & Nishimura, 2004; the C++
standard's std::mt19937_64 parameters), then splitmix64 seeding, the 53-bit uniform, the
unbiased integer, Fisher-Yates and Marsaglia's polar method exactly as random.hpp documents
them. The normals use math.log, so they may differ from descent's portable_log in the last
bits; the test allows for that.
"""
import json
import math
import os

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


class MT19937_64:
    n, m = 312, 156
    upper, lower = 0xFFFFFFFF80000000, 0x7FFFFFFF

    def __init__(self, seed):
        self.mt = [seed & M64]
        for i in range(1, self.n):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & M64)
        self.index = self.n

    def twist(self):
        for i in range(self.n):
            x = (self.mt[i] & self.upper) | (self.mt[(i + 1) % self.n] & self.lower)
            xa = x >> 1
            if x & 1:
                xa ^= 0xB5026F5AA96619E9
            self.mt[i] = self.mt[(i + self.m) % self.n] ^ xa
        self.index = 0

    def __call__(self):
        if self.index >= self.n:
            self.twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & M64


def splitmix64(x):
    x = (x + GOLDEN) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


class Rng:
    def __init__(self, seed, stream=0):
        self.engine = MT19937_64(splitmix64((seed + stream * GOLDEN) & M64))
        self.spare = None

    def uniform(self):
        return (self.engine() >> 11) * 2.0 ** -53

    def below(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            x = self.engine()
            if x >= threshold:
                return x % n

    def normal(self):
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        while True:
            u = 2 * self.uniform() - 1
            v = 2 * self.uniform() - 1
            s = u * u + v * v
            if s >= 1 or s == 0:
                continue
            f = math.sqrt(-2 * math.log(s) / s)
            self.spare = v * f
            return u * f

    def truncated_normal(self, sigma):
        while True:
            z = self.normal()
            if abs(z) <= 2:
                return sigma * z

    def shuffle(self, x):
        for i in range(len(x), 1, -1):
            j = self.below(i)
            x[i - 1], x[j] = x[j], x[i - 1]


def main():
    out = {"generator": "tests/golden/lab/generate_rng.py"}
    # The standard fixes this: the 10000th output of a default-seeded std::mt19937_64.
    e = MT19937_64(5489)
    for _ in range(9999):
        e()
    out["mt19937_64_default_10000th"] = str(e())
    r = Rng(116, 0)
    out["words_seed116_stream0"] = [str(r.engine()) for _ in range(4)]
    r = Rng(7, 3)
    out["uniform_seed7_stream3"] = [r.uniform() for _ in range(5)]
    out["below_seed7_stream3_after_uniforms"] = [r.below(n) for n in (1, 2, 3, 10, 150, 1 << 40, (1 << 63) + 12345)]
    r = Rng(116, 1)  # the default data order of descent compare: iris shuffled with seed 116
    order = list(range(150))
    r.shuffle(order)
    out["iris_order_seed116"] = order
    r = Rng(116, 2)  # the default initialization: 4x3 weights then 3 biases, truncated normal sigma 0.1
    out["tutorial_init_seed116"] = [r.truncated_normal(0.1) for _ in range(15)]
    r = Rng(42, 2)
    out["normals_seed42_stream2"] = [r.normal() for _ in range(11)]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rng.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
