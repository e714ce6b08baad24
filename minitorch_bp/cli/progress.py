"""The training display of ``train`` and ``demo``: one bar over the whole run, and per-epoch lines.

On a terminal one tqdm bar counts every batch of every epoch (epochs × batches), with
its ETA, the running loss of the epoch and the last validation metrics; the lines of the
logged epochs (the first, every ``log_every``-th, the last) are written above it with
``tqdm.write``, so they stay on screen as the README shows. Elsewhere (a pipe, a file,
the tests) only those lines are printed. Mini-batch and full-batch runs look the same.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from minitorch_bp.train.callbacks import Callback, FitState
from minitorch_bp.train.fit import _format
from minitorch_bp.train.history import History

#: On a terminal, the validation metrics are recomputed at most this often (seconds)
#: between the logged epochs, so that showing them costs a bounded share of the run.
REFRESH_S = 0.5


class RunProgress(Callback):
    """Show a run of ``epochs`` epochs of ``batches`` batches each; keep its :class:`History`.

    Args:
        epochs: the epochs the run may take (training may stop earlier).
        batches: the batches of one epoch.
        log_every: print every this many epochs (and the first and the last).
        validate: returns the held-out metrics (``{"val_accuracy": ...}``) of the model as
            it is; ``None`` when nothing is held out.
        show: ``False`` prints nothing (``--quiet``).
        tty: draw the bar (default: whether stdout is a terminal).
    """

    def __init__(
        self,
        epochs: int,
        batches: int,
        *,
        log_every: int,
        validate: Callable[[], dict[str, float]] | None,
        show: bool = True,
        tty: bool | None = None,
    ) -> None:
        self.epochs, self.batches, self.log_every = epochs, batches, log_every
        self.validate, self.show = validate, show
        self.tty = show and (sys.stdout.isatty() if tty is None else tty)
        self.history = History()
        self.epochs_done = 0
        self._bar: Any = None
        self._loss = 0.0
        self._seen = 0
        self._val: dict[str, float] = {}
        self._val_time = -float("inf")

    def uses_batches(self) -> bool:
        return self.tty  # only the bar needs each batch

    def on_train_begin(self, state: FitState) -> None:
        self.history = state.history
        if self.tty:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]

            self._bar = tqdm(
                total=self.epochs * self.batches,
                desc="training",
                unit="batch",
                file=sys.stdout,
                dynamic_ncols=True,
                leave=False,
            )

    def on_batch_end(self, state: FitState) -> None:
        self._loss += state.batch_size * state.batch_loss
        self._seen += state.batch_size
        self._bar.update(1)
        self._bar.set_postfix_str(self._postfix(self._loss / self._seen), refresh=False)

    def on_epoch_end(self, state: FitState) -> None:
        epoch = state.epoch
        self.epochs_done = epoch
        self._loss, self._seen = 0.0, 0
        if not self.show:
            return
        logged = epoch == 1 or epoch % self.log_every == 0 or epoch == self.epochs or state.stop
        now = time.monotonic()
        fresh = logged or (self.tty and now - self._val_time >= REFRESH_S)
        if self.validate is not None and fresh:
            state.model.eval()
            self._val = self.validate()
            state.model.train()
            self._val_time = now
        if logged:
            line = _format(epoch, self.epochs, {**state.logs, **self._val})
            if self._bar is not None:
                self._bar.write(line, file=sys.stdout)
            else:
                print(line, flush=True)
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(state.logs.get("loss")))

    def _postfix(self, loss: float | None) -> str:
        parts = [] if loss is None else [f"loss={loss:.4f}"]
        parts += [f"{k}={v:.4f}" for k, v in self._val.items()]
        return ", ".join(parts)

    def on_train_end(self, state: FitState) -> None:
        self.close()

    def close(self) -> None:
        """Remove the bar (also after an interrupt, when ``on_train_end`` may not run)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
