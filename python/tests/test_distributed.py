"""Distributed from Python: DistributedDataParallel (gloo, 2 processes) training with
descent.torch.Adam, and ZeroRedundancyOptimizer(optimizer_class=descent.torch.Adam), give the
weights of one process training on the global batch."""
import os
import socket

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

import descent.torch as dt  # noqa: E402
from conftest import DATA, record  # noqa: E402

STEPS, GLOBAL_BATCH, WORLD = 40, 64, 2


def model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.Tanh(), torch.nn.Linear(32, 10)).double()


def global_batches():
    raw = np.loadtxt(DATA, delimiter=",")
    x, y = torch.tensor(raw[:, :64] / 16.0), torch.tensor(raw[:, 64], dtype=torch.int64)
    g = np.random.default_rng(5)
    for _ in range(STEPS):
        idx = torch.tensor(g.integers(0, len(y), GLOBAL_BATCH))
        yield x[idx], y[idx]


def train(net, opt, rank=0, world=1):
    for xb, yb in global_batches():
        share = GLOBAL_BATCH // world
        xs, ys = xb[rank * share:(rank + 1) * share], yb[rank * share:(rank + 1) * share]
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(net(xs), ys).backward()  # DDP averages the ranks' means
        opt.step()


def worker(rank, port, mode, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.set_num_threads(1)
    net = torch.nn.parallel.DistributedDataParallel(model())
    if mode == "ddp":
        opt = dt.Adam(net.parameters(), lr=1e-2)
    else:
        from torch.distributed.optim import ZeroRedundancyOptimizer
        opt = ZeroRedundancyOptimizer(net.parameters(), optimizer_class=dt.Adam, lr=1e-2)
        assert isinstance(opt.optim, dt.Adam)
    train(net, opt, rank, WORLD)
    if mode == "zero":
        opt.consolidate_state_dict(to=0)  # the shards' descent state, gathered in torch's format
    if rank == 0:
        state = opt.state_dict() if mode == "zero" else None
        torch.save({"weights": [p.detach().clone() for p in net.module.parameters()], "state": state}, out)
    # Neither rank tears down gloo while the other may still talk to it: a rank that left early
    # aborted the other's gloo worker thread now and then ("terminate called without an active
    # exception").
    dist.barrier()
    del opt, net
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mode", ["ddp", "zero"])
def test_two_processes_give_the_weights_of_one(mode, tmp_path):
    out = str(tmp_path / "rank0.pt")
    torch.multiprocessing.spawn(worker, args=(free_port(), mode, out), nprocs=WORLD, join=True)
    got = torch.load(out)
    single = model()
    opt = dt.Adam(single.parameters(), lr=1e-2)
    train(single, opt)
    reference = model()
    train(reference, torch.optim.Adam(reference.parameters(), lr=1e-2))
    # The ranks' gradients are averaged from two half-batch means, one process takes the mean of
    # the whole batch: the same up to rounding, which Adam's steps carry along.
    for want in (single, reference):
        error = max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(got["weights"], want.parameters()))
        record("torch.float64", f"{mode}, 2 processes vs 1", error)
        assert error <= 1e-10, f"{mode}: relative error {error:.3g}"
    if mode == "zero":
        assert sorted(got["state"]["state"]) == list(range(4))
        for i, p in enumerate(single.parameters()):
            torch.testing.assert_close(got["state"]["state"][i]["exp_avg"], opt.state[p]["exp_avg"], rtol=1e-9,
                                       atol=1e-15)
