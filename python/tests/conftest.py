"""Shared by the tests: the digits data, a torch MLP, and the worst parity errors seen."""
import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).resolve().parents[2] / "data" / "digits.csv"
WORST: dict = {}  # dtype -> (relative error, case): reported at the end of the run


def digits():
    raw = np.loadtxt(DATA, delimiter=",")
    return raw[:, :64] / 16.0, raw[:, 64].astype(np.int64)


def record(dtype: str, case: str, error: float) -> None:
    if error > WORST.get(dtype, (-1.0, ""))[0]:
        WORST[dtype] = (error, case)


def pytest_terminal_summary(terminalreporter):
    for dtype, (error, case) in sorted(WORST.items()):
        terminalreporter.write_line(f"descent.torch parity, worst relative error in {dtype}: {error:.3g} ({case})")


@pytest.fixture(scope="session")
def digits_data():
    return digits()


def pytest_configure(config):
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)  # a 64-32-10 MLP: threads only add waiting on a shared machine
