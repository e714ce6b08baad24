"""One gloo rank for ``test_processes.py``: ``python worker.py SCENARIO OUT_DIR``.

``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` (127.0.0.1) and ``MASTER_PORT`` come from the
environment, as torchrun sets them; ``TIMEOUT`` is the collectives' timeout in seconds.

- ``exact``: the twelve runs of ``parallel_cases`` (three optimizers, full and mini
  batches, engine on and off), a checkpoint written and resumed, and ranks that start
  differently; writes ``rank<r>.npz`` (final weights) and ``rank<r>.json``.
- ``kill``: rank 1 kills itself (SIGKILL) at the end of epoch 3.
- ``hang``: rank 1 stops answering at the end of epoch 3.
The others print the ``DistributedError`` on one line and exit with status 3.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def exact(world: Any, out: Path) -> None:
    import numpy as np

    from minitorch_bp import train

    from parallel_cases import CASES, resume, run, weights

    r, size = world.rank, world.world_size
    arrays: dict[str, Any] = {}
    report: dict[str, Any] = {"histories": {}}
    for engine in (True, False):
        for opt, batch in CASES:
            model, history, _, _ = run(
                opt, batch, rank=r, world_size=size, distributed=True, engine=engine
            )
            name = f"{opt}/{batch}/{'engine' if engine else 'plain'}"
            arrays.update({f"{name}/{k}": v for k, v in weights(model).items()})
            report["histories"][name] = history.to_dict()
    ckpt = train.ModelCheckpoint(out / f"rank{r}-ep{{epoch}}.npz", monitor="loss")
    run("momentum", "mini", rank=r, world_size=size, distributed=True, epochs=2, callbacks=[ckpt])
    model, history = resume(
        str(out / "rank0-ep2.npz"), "momentum", "mini", rank=r, world_size=size, distributed=True
    )
    arrays.update({f"resumed/{k}": v for k, v in weights(model).items()})
    report["resumed_epochs"] = history.epochs
    try:
        run("sgd", "full", rank=r, world_size=size, distributed=True, rng=r)
    except ValueError as exc:
        report["different_start"] = str(exc)
    np.savez(out / f"rank{r}.npz", **arrays)
    (out / f"rank{r}.json").write_text(json.dumps(report))


def failing(world: Any, how: str) -> None:
    from parallel_cases import run

    def peer_fails(epoch: int, logs: dict[str, float]) -> bool:
        if world.rank == 1 and epoch == 3:
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(3600)
        return False

    run(
        "sgd",
        "full",
        rank=world.rank,
        world_size=world.world_size,
        distributed=True,
        epochs=10**6,
        callbacks=[peer_fails],
    )


def main() -> None:
    from minitorch_bp import distributed

    scenario, out = sys.argv[1], Path(sys.argv[2])
    world = distributed.init(timeout=float(os.environ.get("TIMEOUT", "60")), init_timeout=60.0)
    try:
        if scenario == "exact":
            exact(world, out)
        else:
            failing(world, scenario)
    except distributed.DistributedError as exc:
        print(f"rank {world.rank}: DistributedError: {exc}", flush=True)
        sys.exit(3)
    distributed.shutdown()


if __name__ == "__main__":
    main()
