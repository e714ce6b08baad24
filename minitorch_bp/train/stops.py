r"""Why :func:`~minitorch_bp.train.fit` stopped early: Ctrl-C and divergence, with nothing lost.

Both exceptions carry the :class:`~minitorch_bp.train.History` of the epochs that
finished, and are raised only after every callback's ``on_train_end`` ran (so
``EarlyStopping(restore_best_weights=True)`` has restored its weights and a report has
been written).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from minitorch_bp.train.history import History


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped :func:`~minitorch_bp.train.fit`; the run so far is kept.

    A subclass of ``KeyboardInterrupt``, so code that handles Ctrl-C still does.

    Attributes:
        history: the epochs that finished.
        epoch, batch: where training stopped (the batch's index in its epoch, 0-based).
        clean: ``True`` when the batch finished first (the first Ctrl-C waits for it);
            ``False`` when a second Ctrl-C, or a ``KeyboardInterrupt`` raised by other
            code, cut it short.
    """

    def __init__(self, history: History, epoch: int, batch: int, clean: bool) -> None:
        self.history, self.epoch, self.batch, self.clean = history, epoch, batch, clean
        when = "after" if clean else "during"
        super().__init__(
            f"fit: interrupted {when} epoch {epoch}, batch {batch}; the History of the"
            f" {len(history)} finished epoch(s) is this exception's .history"
        )

    def __str__(self) -> str:
        return str(self.args[0])


ADVICE = "; lower the learning rate or scale the data"


class TrainingDivergedError(FloatingPointError):
    r""":math:`J(\Theta)` or a layer's output became NaN or inf during :func:`~minitorch_bp.train.fit`.

    Attributes:
        history: the epochs that finished before the failing one.
        epoch, batch: where it happened.
        cause: the error the step raised (it names the layer and the array).
    """

    def __init__(
        self, history: History, epoch: int, batch: int, cause: BaseException, weights: str
    ) -> None:
        self.history, self.epoch, self.batch, self.cause = history, epoch, batch, cause
        super().__init__(
            f"fit: training diverged at epoch {epoch}, batch {batch}: {cause}. Stopped; the"
            f" History keeps the {len(history)} finished epoch(s) (this exception's .history)"
            f" and the parameters are {weights}"
            + ("" if "lower the learning rate" in str(cause) else ADVICE)
        )


class InterruptFlag:
    """Set by the first Ctrl-C while :func:`defer_interrupt`'s handler is installed."""

    def __init__(self) -> None:
        self.requested = False


def defer_interrupt() -> tuple[InterruptFlag, Callable[[], None]]:
    """Make the first Ctrl-C a request to stop after the current batch; the second aborts.

    Returns the flag the first Ctrl-C sets and a function that puts the previous handler
    back (call it in a ``finally``). Only the main thread receives signals, so elsewhere
    (and where SIGINT cannot be handled) nothing is installed and a ``KeyboardInterrupt``
    arrives as usual.
    """
    flag = InterruptFlag()
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGINT"):
        return flag, lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: FrameType | None) -> Any:
        if flag.requested:  # the second Ctrl-C: stop now
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        flag.requested = True
        print(
            "\nCtrl-C: stopping after this batch (press it again to stop at once)",
            file=sys.stderr,
            flush=True,
        )

    if previous is None:  # installed from C: Python cannot put it back, so restore the default
        previous = signal.default_int_handler

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    return flag, restore
