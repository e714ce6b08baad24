"""``distributed.init`` and the ``World``: the torchrun environment, clear errors, zero-copy collectives."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp import distributed
from minitorch_bp.distributed import DistributedError

from parallel_cases import assert_same_run, run, weights

ROOT = Path(__file__).resolve().parents[2]
TORCHRUN_ENV = {"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}


def test_environment_reads_the_torchrun_variables() -> None:
    assert distributed.environment(TORCHRUN_ENV) == (1, 2)


def test_a_missing_variable_is_named_with_how_to_start_the_ranks() -> None:
    env = {k: v for k, v in TORCHRUN_ENV.items() if k not in ("RANK", "MASTER_PORT")}
    with pytest.raises(DistributedError) as info:
        distributed.environment(env)
    msg = str(info.value)
    assert "lacks RANK, MASTER_PORT, which torchrun sets" in msg
    assert "torchrun --standalone --nproc-per-node 2 script.py" in msg


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"RANK": "one"}, "RANK='one', WORLD_SIZE='2', MASTER_PORT='29500' must be integers"),
        ({"RANK": "2"}, "RANK=2, WORLD_SIZE=2, MASTER_PORT=29500: need WORLD_SIZE >= 1, 0 <= RANK"),
        ({"MASTER_PORT": "70000"}, "a port in 1..65535"),
    ],
)
def test_malformed_variables_are_refused(change: dict[str, str], expected: str) -> None:
    with pytest.raises(DistributedError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        distributed.environment({**TORCHRUN_ENV, **change})


def test_a_gpu_only_backend_and_bad_timeouts_are_refused() -> None:
    with pytest.raises(ValueError, match=r"backend='nccl'\): use one of \('gloo', 'mpi'\)"):
        distributed.init("nccl")
    with pytest.raises(ValueError, match="timeout=0 must be a finite number > 0"):
        distributed.init(timeout=0)


def test_without_torch_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in TORCHRUN_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    monkeypatch.setitem(sys.modules, "torch.distributed", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'minitorch_bp\[distributed\]'"):
        distributed.init()
    assert distributed.is_initialized() is False


def test_the_core_and_the_package_import_without_torch() -> None:
    """Importing minitorch_bp (training included) or minitorch_bp.distributed loads no torch."""
    code = (
        "import sys, numpy as np\n"
        "import minitorch_bp, minitorch_bp.train, minitorch_bp.distributed\n"
        "from minitorch_bp import nn, optim, train\n"
        "from minitorch_bp.data import DataLoader\n"
        "m = nn.Sequential(nn.Linear(2, 1, rng=0), nn.Sigmoid())\n"
        "X, Y = np.eye(2), np.array([[0.0], [1.0]])\n"
        "train.fit(m, nn.BCELoss(), optim.SGD(m.parameters(), lr=1.0), DataLoader(X, Y, 2),"
        " epochs=2, progress=False)\n"
        "assert minitorch_bp.__file__.startswith(sys.argv[1]), minitorch_bp.__file__\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] == 'torch'))\n"
    )
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def one_rank(monkeypatch: pytest.MonkeyPatch) -> Iterator[distributed.World]:
    """A real gloo process group of one rank, in this process (loopback only)."""
    pytest.importorskip("torch")
    env = {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with distributed.init(timeout=30.0, init_timeout=30.0) as world:
        yield world
    assert not distributed.is_initialized()


def test_init_joins_the_group_once(one_rank: distributed.World) -> None:
    assert (one_rank.rank, one_rank.world_size, one_rank.backend, one_rank.timeout) == (
        0,
        1,
        "gloo",
        30.0,
    )
    assert distributed.init() is one_rank and distributed.current() is one_rank
    assert distributed.is_initialized()


def test_the_collectives_work_on_the_arrays_own_memory(
    one_rank: distributed.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch.distributed as dist

    seen: list[int] = []
    real = dist.all_reduce

    def spy(tensor, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(tensor.data_ptr())
        return real(tensor, *args, **kwargs)

    monkeypatch.setattr(dist, "all_reduce", spy)
    buffer = np.arange(5.0)
    one_rank.all_reduce(buffer, "test")
    assert seen == [buffer.ctypes.data]  # torch.from_numpy: no copy
    np.testing.assert_array_equal(buffer, np.arange(5.0))
    np.testing.assert_array_equal(one_rank.all_gather(buffer, "test"), [np.arange(5.0)])
    with pytest.raises(ValueError, match="C-contiguous"):
        one_rank.all_reduce(np.zeros((3, 2))[:, 0], "test")


def test_fit_on_a_one_rank_group_is_the_plain_run(one_rank: distributed.World) -> None:
    model, history, _, _ = run("adam", "mini", distributed=True)
    model_one, history_one, _, _ = run("adam", "mini")
    assert_same_run(weights(model), weights(model_one))
    np.testing.assert_allclose(history["val_loss"], history_one["val_loss"], rtol=1e-12)


def test_current_without_a_group_says_to_call_init() -> None:
    pytest.importorskip("torch")
    with pytest.raises(
        DistributedError, match=r"no process group; call distributed.init\(\) first"
    ):
        distributed.current()
