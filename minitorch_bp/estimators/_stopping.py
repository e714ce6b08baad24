"""scikit-learn's stopping rule and learning-rate schedules, as a callback of :func:`train.fit`.

``EarlyStopping`` of :mod:`minitorch_bp.train` counts epochs since the last improvement
larger than ``min_delta``; scikit-learn's MLPs count epochs whose value is not better than
the best one *minus* ``tol`` while the best tracks every improvement, and stop after
``n_iter_no_change`` + 1 of them. The estimators follow scikit-learn's rule, so that
``tol`` and ``n_iter_no_change`` mean what they mean there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from numpy.typing import NDArray

from minitorch_bp.estimators._params import FULL_BATCH
from minitorch_bp.train.callbacks import Callback, FitState

#: scipy's default ``ftol`` for L-BFGS-B, which scikit-learn's ``solver="lbfgs"`` uses.
LBFGS_FTOL = 2.220446049250313e-09


@dataclass
class Progress:
    """What one estimator's training has seen so far (kept between ``partial_fit`` calls)."""

    loss_curve: list[float] = field(default_factory=list)
    validation_scores: list[float] = field(default_factory=list)
    best_loss: float = math.inf
    best_validation_score: float = -math.inf
    no_improvement: int = 0
    samples_seen: int = 0


class SklearnRule(Callback):
    """After each epoch: record the loss, update the learning rate, decide whether to stop.

    Args:
        progress: the running record (updated in place).
        solver, learning_rate, learning_rate_init, power_t, tol, n_iter_no_change, max_fun,
            verbose: the estimator's parameters.
        n_samples: training rows per epoch.
        val_score: with early stopping, the model's score on the validation rows
            (accuracy or R²); the best epoch's weights are restored at the end.
        stop: ``False`` never stops (``partial_fit`` runs one epoch).
    """

    def __init__(
        self,
        progress: Progress,
        *,
        solver: str,
        learning_rate: str,
        learning_rate_init: float,
        power_t: float,
        tol: float,
        n_iter_no_change: float,
        max_fun: int,
        verbose: bool,
        n_samples: int,
        val_score: Callable[[Any], float] | None = None,
        stop: bool = True,
    ) -> None:
        self.progress = progress
        self.solver, self.learning_rate = solver, learning_rate
        self.lr_init, self.power_t = learning_rate_init, power_t
        self.tol, self.n_iter_no_change, self.max_fun = tol, n_iter_no_change, max_fun
        self.verbose, self.n_samples = verbose, n_samples
        self.val_score, self.may_stop = val_score, stop
        self.converged = False
        self.epochs = 0
        self._best_weights: dict[str, NDArray[Any]] | None = None

    def on_epoch_end(self, state: FitState) -> None:
        p = self.progress
        loss = float(state.logs["loss"])
        p.loss_curve.append(loss)
        p.samples_seen += self.n_samples
        self.epochs += 1
        if self.solver in FULL_BATCH:
            self._lbfgs(state, loss)
            return
        if self.val_score is not None:
            state.model.eval()
            score = float(self.val_score(state.model))
            state.model.train()
            p.validation_scores.append(score)
            if self.verbose:
                print(f"Validation score: {score:.6f}")
            worse = score < p.best_validation_score + self.tol
            if score > p.best_validation_score:
                p.best_validation_score = score
                self._best_weights = state.model.state_dict()
        else:
            worse = loss > p.best_loss - self.tol
            p.best_loss = min(p.best_loss, loss)
        p.no_improvement = p.no_improvement + 1 if worse else 0
        opt = state.optimizer
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            opt.lr = self.lr_init / (p.samples_seen + 1) ** self.power_t
        if p.no_improvement > self.n_iter_no_change and self.may_stop:
            if self.solver == "sgd" and self.learning_rate == "adaptive" and opt.lr > 1e-6:
                opt.lr /= 5.0
                p.no_improvement = 0
                if self.verbose:
                    print(f"Setting learning rate to {opt.lr:.6f}")
            else:
                self.converged = state.stop = True

    def _lbfgs(self, state: FitState, loss: float) -> None:
        """scipy's L-BFGS-B tests: the gradient below ``tol``, or ``J`` no longer moving."""
        opt: Any = state.optimizer
        curve = self.progress.loss_curve
        self.progress.best_loss = min(self.progress.best_loss, loss)
        flat = False
        if len(curve) >= 2:
            before = curve[-2]
            flat = (before - loss) <= LBFGS_FTOL * max(abs(before), abs(loss), 1.0)
        if opt.iterations == 0 or flat:  # no step taken: max |∇J| <= tol at the start
            self.converged = state.stop = True
        elif opt.total_evaluations >= self.max_fun:
            state.stop = True

    def on_train_end(self, state: FitState) -> None:
        self.restore_best(state.model)

    def restore_best(self, model: Any) -> None:
        """With early stopping, load the best epoch's weights (at the end, or after an interrupt)."""
        if self._best_weights is not None:
            model.load_state_dict(self._best_weights)
