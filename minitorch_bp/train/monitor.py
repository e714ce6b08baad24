r"""``Monitor``: the notes' quantities per layer during :func:`~minitorch_bp.train.fit`.

Per layer and epoch (or every ``k`` batches) it records, from what each training step
computed (the engine's buffers or the plain layers, the same numbers to rounding):

- ``D_norm(l)``: :math:`\lVert D^{(l)}\rVert`, the Frobenius norm of the notes'
  :math:`D^{(l)} = \frac{1}{m}(\Delta^{(l)} + \lambda\Theta^{(l)})` (bias column
  unregularised) of each layer with parameters, the gradient of :math:`J(\Theta)` the
  optimizer was given, averaged over the window's batches;
- ``delta_abs(l)``: the mean of :math:`|\delta^{(l)}_j|` over the window's examples and
  units, :math:`\delta^{(l)}` in the notes' per-example scale (``deltas[l]`` divided by
  the loss's reduction factor, :math:`1/m` for ``batchmean``), at each ``Linear``'s output;
- ``a_mean(l)``, ``a_std(l)``: the mean and standard deviation of the activations
  :math:`a^{(l)}` over the window's examples and units;
- ``saturated(l)``: the share of :math:`a^{(l)}_j` (over examples and units) where the
  unit is saturated, :math:`g'(z) < 0.04\,g'(0)`: for the sigmoid
  :math:`a(1 - a) < 0.01` (:math:`a < 0.0101` or :math:`a > 0.9899`); for tanh, whose
  :math:`g'(z) = 1 - a^2` is 4 times the sigmoid's at :math:`2z`
  (:math:`\tanh z = 2\sigma(2z) - 1`), the same rule gives :math:`1 - a^2 < 0.04`
  (:math:`|a| > 0.98`). Recorded for activations whose :math:`g'` vanishes at both tails;
- ``dead(l)``: the share of units with :math:`g'(z) = 0` on every example of the window
  (a ReLU whose input was never positive: no gradient reaches its weights). Recorded for
  activations whose :math:`g'` can be exactly 0.

``l`` is the notes' layer index: ``Linear`` number ``l`` (counted from 1) is
:math:`\Theta^{(l)}`, its output :math:`z^{(l+1)}` carries :math:`\delta^{(l+1)}`, and
an activation after it gives :math:`a^{(l+1)}`. A layer with parameters that is not a
``Linear`` is named by its position, ``D_norm(layer 3)``.

What a layer must provide to be monitored: parameters (any module) for ``D_norm``; being
a ``Linear`` for ``delta_abs`` (the deltas are recorded at each ``Linear``'s output); being
an :class:`~minitorch_bp.nn.Elementwise` (its own ``g`` and ``g_prime``, probed once to
tell whether it saturates or can die) for the activation statistics.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minitorch_bp.engine.plan import leaves
from minitorch_bp.nn.activation import Elementwise
from minitorch_bp.nn.linear import Linear
from minitorch_bp.nn.module import Module
from minitorch_bp.nn.parameter import Parameter
from minitorch_bp.nn.regularization import decays
from minitorch_bp.train.callbacks import Callback, FitState
from minitorch_bp.train.history import History

Array = NDArray[Any]

#: A unit is saturated where :math:`g'(z) < \text{SATURATION}\cdot g'(0)`: :math:`a(1-a) < 0.01` for the sigmoid.
SATURATION = 0.04
#: Where ``|z|`` is large enough to probe an activation's tails.
_TAIL = 30.0
#: The statistics, in the order they appear in a History row.
STATS = ("D_norm", "delta_abs", "a_mean", "a_std", "saturated", "dead")


class VanishingGradientWarning(UserWarning):
    """A layer's :math:`\\lVert D^{(l)}\\rVert` is far below the last layer's (see :class:`Monitor`)."""


@dataclass
class _ActivationLayer:
    index: int
    module: Elementwise
    tag: str
    threshold: float | None  # g' below this is saturated; None: the unit does not saturate
    can_die: bool


@dataclass
class _ParamLayer:
    index: int
    tag: str
    params: list[Parameter]
    delta: int | None  # the notes' l of δ at this layer's output (Linear only)
    # the parameters the λ rule decays, each with a buffer for Θ before the update
    decaying: list[tuple[Parameter, Array]] = field(default_factory=list)


@dataclass
class _Window:
    """Sums over the batches of one recording window, in the layout of ``Monitor._values``."""

    batches: int = 0
    sums: Array | None = None
    alive: dict[str, Array] = field(default_factory=dict)


def _probe(module: Elementwise, z: float, dtype: np.dtype[Any]) -> float:
    x = np.array([[z]], dtype=dtype)
    with np.errstate(over="ignore"):
        return float(module.g_prime(x, module.g(x))[0, 0])


def columns(history: History, stat: str) -> list[tuple[str, str]]:
    """The ``(key, layer tag)`` pairs of one Monitor statistic in ``history``, in layer order.

    Example:
        >>> h = History()
        >>> h.append(1, {"loss": 0.5, "D_norm(1)": 0.2, "D_norm(2)": 0.1})
        >>> columns(h, "D_norm")
        [('D_norm(1)', '1'), ('D_norm(2)', '2')]
    """
    prefix = stat + "("
    names: list[str] = history.keys()  # History has no iterator of its own
    return [(k, k[len(prefix) : -1]) for k in names if k.startswith(prefix)]


class Monitor(Callback):
    r"""Record :math:`\lVert D^{(l)}\rVert`, mean :math:`|\delta^{(l)}|` and activation statistics per layer.

    Pass it to :func:`~minitorch_bp.train.fit` (``callbacks=[Monitor()]``). Each epoch's
    statistics go into the History row (``history["D_norm(1)"]``...; the names and
    definitions are in this module's docstring), and, with ``every=k``, every ``k``
    batches into :attr:`records` as well. It works the same with ``fit(engine=True)``
    (it reads the step's buffers right after each batch and keeps only sums) and with
    the plain layers.

    When a layer's :math:`\lVert D^{(l)}\rVert` is below ``vanishing`` times the last
    layer's, a :class:`VanishingGradientWarning` says so, once per run: the lower
    layers of a deep sigmoid network barely learn.

    Args:
        every: ``None`` (default): one record per epoch; ``k``: one every ``k`` batches too.
        saturation: a unit is saturated where :math:`g'(z)` is below this share of
            :math:`g'(0)` (0.04: the sigmoid's :math:`a(1-a) < 0.01`).
        vanishing: the ratio that triggers the warning (1e-3: 1000 times smaller).

    Attributes:
        records: one dict per window (``epoch``, ``batch``: the number of batches seen so
            far, and the statistics).

    Caches:
        With ``λ > 0``, a copy of the decaying parameters before each batch's update (for
        :math:`D`, which uses :math:`\Theta` before the step).

    Example:
        >>> from minitorch_bp import nn, optim
        >>> from minitorch_bp.data import DataLoader
        >>> from minitorch_bp.datasets import xor
        >>> from minitorch_bp.train import fit
        >>> X, Y = xor()
        >>> model = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Sigmoid(), nn.Linear(3, 1, rng=1), nn.Sigmoid())
        >>> h = fit(model, nn.BCELoss(), optim.SGD(model.parameters(), lr=5.0),
        ...         DataLoader(X, Y, 4, shuffle=False), epochs=3, callbacks=[Monitor()], progress=False)
        >>> [k for k in h.keys() if "(" in k]
        ['D_norm(1)', 'D_norm(2)', 'delta_abs(2)', 'delta_abs(3)', 'a_mean(2)', 'a_std(2)', 'saturated(2)', 'a_mean(3)', 'a_std(3)', 'saturated(3)']
    """

    def __init__(
        self, every: int | None = None, *, saturation: float = SATURATION, vanishing: float = 1e-3
    ) -> None:
        if every is not None and (
            isinstance(every, bool) or not isinstance(every, int) or every < 1
        ):
            raise ValueError(f"Monitor: every={every!r} must be None or an integer >= 1")
        for name, value in (("saturation", saturation), ("vanishing", vanishing)):
            if not (isinstance(value, (int, float)) and 0 < value < 1):
                raise ValueError(f"Monitor: {name}={value!r} must be a number in (0, 1)")
        self.every = every
        self.saturation = float(saturation)
        self.vanishing = float(vanishing)
        self.records: list[dict[str, float]] = []
        self.warned = False
        self._params: list[_ParamLayer] = []
        self._acts: list[_ActivationLayer] = []
        self._before: dict[int, Array] = {}
        self._epoch = _Window()
        self._window = _Window()
        self._seen = 0

    # ----------------------------------------------------------------- setup
    def on_train_begin(self, state: FitState) -> None:
        self.records, self.warned, self._seen = [], False, 0
        self._epoch, self._window = _Window(), _Window()
        self._params, self._acts = self.layers_of(state.model)

    def layers_of(self, model: Module) -> tuple[list[_ParamLayer], list[_ActivationLayer]]:
        """The layers this monitor records for ``model``, with their tags (the notes' ``l``)."""
        params: list[_ParamLayer] = []
        acts: list[_ActivationLayer] = []
        n_linear = 0
        used: dict[str, set[str]] = {"params": set(), "acts": set()}
        dtype = np.dtype(np.float64)

        def unique(tag: str, i: int, kind: str = "params") -> str:
            tag = tag if tag not in used[kind] else f"layer {i}"
            used[kind].add(tag)
            return tag

        for i, module in enumerate(leaves(model)):
            if isinstance(module, Linear):
                n_linear += 1
                own = module.parameters()
                params.append(_ParamLayer(i, unique(str(n_linear), i), own, n_linear + 1))
            elif module.parameters():
                params.append(_ParamLayer(i, unique(f"layer {i}", i), module.parameters(), None))
            if params and params[-1].index == i:
                params[-1].decaying = [
                    (p, np.empty_like(p.data)) for p in params[-1].params if decays(p)
                ]
            elif isinstance(module, Elementwise):
                top = _probe(module, 0.0, dtype)
                tails = (_probe(module, -_TAIL, dtype), _probe(module, _TAIL, dtype))
                saturates = top > 0 and all(abs(t) < 1e-6 * top for t in tails)
                acts.append(
                    _ActivationLayer(
                        i,
                        module,
                        unique(str(n_linear + 1), i, "acts"),
                        self.saturation * top if saturates else None,
                        any(t == 0.0 for t in tails),
                    )
                )
        return params, acts

    # ----------------------------------------------------------------- per batch
    def on_batch_begin(self, state: FitState) -> None:
        if not state.optimizer.l2:
            return
        for layer in self._params:
            for p, before in layer.decaying:
                np.copyto(before, p.data)

    def on_batch_end(self, state: FitState) -> None:
        step = state.step
        if step is None:
            return
        m = state.batch_size
        outputs = step.layer_outputs
        deltas = step.deltas
        out = outputs[-1] if outputs else None
        k = out.shape[1] if out is not None and out.ndim == 2 else 1
        scale = state.criterion.scale(m, k)
        c = state.optimizer.l2 / m
        vdot = np.vdot
        values: list[float] = []
        for layer in self._params:  # ‖D‖² = ‖g‖² + 2c⟨g, Θ⟩ + c²‖Θ‖², Θ before the update
            sq = 0.0
            for p in layer.params:
                sq += float(vdot(p.grad, p.grad))
            if c:
                for p, theta in layer.decaying:
                    sq += 2.0 * c * float(vdot(p.grad, theta)) + c * c * float(vdot(theta, theta))
            values.append(math.sqrt(max(sq, 0.0)))
        for layer in self._params:
            d = deltas.get(layer.delta) if layer.delta is not None else None
            if d is not None:
                values += [float(np.abs(d).sum()) / scale, d.size]
            elif layer.delta is not None:
                values += [0.0, 0.0]
        alive_now: dict[str, Array] = {}
        for a_layer in self._acts:
            a = outputs[a_layer.index]
            z = outputs[a_layer.index - 1] if a_layer.index > 0 else None
            saturated = 0.0
            if z is not None and (a_layer.threshold is not None or a_layer.can_die):
                gp = a_layer.module.g_prime(z, a)
                if a_layer.threshold is not None:
                    saturated = float(np.count_nonzero(gp < a_layer.threshold))
                if a_layer.can_die:
                    alive_now[a_layer.tag] = np.asarray(gp.any(axis=0))
            values += [float(a.sum()), float(vdot(a, a)), a.size, saturated]
        batch = np.array(values)
        for w in (self._epoch, self._window) if self.every else (self._epoch,):
            w.batches += 1
            w.sums = batch.copy() if w.sums is None else w.sums + batch
            for tag, alive in alive_now.items():
                before = w.alive.get(tag)
                w.alive[tag] = alive if before is None else before | alive
        self._seen += 1
        if self.every and self._seen % self.every == 0:
            row = {
                "epoch": float(state.epoch),
                "batch": float(self._seen),
                **self._values(self._window),
            }
            self.records.append(row)
            self._window = _Window()
            self._check_vanishing(row, f"after batch {self._seen}")

    # ----------------------------------------------------------------- per window
    def _values(self, w: _Window) -> dict[str, float]:
        values: dict[str, float] = {}
        if w.sums is None:
            return values
        sums = iter(w.sums.tolist())
        n = max(w.batches, 1)
        for layer in self._params:
            values[f"D_norm({layer.tag})"] = next(sums) / n
        for layer in self._params:
            if layer.delta is not None:
                total, count = next(sums), next(sums)
                if count:
                    values[f"delta_abs({layer.delta})"] = total / count
        for a_layer in self._acts:
            s1, s2, count, sat = next(sums), next(sums), next(sums), next(sums)
            mean = s1 / count
            values[f"a_mean({a_layer.tag})"] = mean
            values[f"a_std({a_layer.tag})"] = math.sqrt(max(s2 / count - mean * mean, 0.0))
            if a_layer.threshold is not None and a_layer.index > 0:
                values[f"saturated({a_layer.tag})"] = sat / count
            alive = w.alive.get(a_layer.tag)
            if alive is not None:
                values[f"dead({a_layer.tag})"] = float(np.mean(~alive))
        return values

    def epoch_values(self, state: FitState) -> dict[str, float]:
        values = self._values(self._epoch)
        self._epoch = _Window()
        if not self.every:
            self.records.append({"epoch": float(state.epoch), **values})
        self._check_vanishing(values, f"in epoch {state.epoch}")
        return values

    def _check_vanishing(self, values: dict[str, float], when: str) -> None:
        if self.warned or len(self._params) < 2:
            return
        last = self._params[-1].tag
        top = values.get(f"D_norm({last})", 0.0)
        for layer in self._params[:-1]:
            norm = values.get(f"D_norm({layer.tag})")
            if norm is not None and top > 0 and norm < self.vanishing * top:
                self.warned = True
                warnings.warn(
                    f"Monitor: ‖D‖ of layer {layer.tag} is {norm:.2e} {when}, {top / max(norm, 1e-300):.3g}"
                    f" times smaller than the last layer's ({last}: {top:.2e}); its weights"
                    " barely move (a vanishing gradient: saturated sigmoid or tanh units, or"
                    " dead ReLUs; see the saturated(l) and dead(l) columns)",
                    VanishingGradientWarning,
                    stacklevel=2,
                )
                return

    def series(self, stat: str) -> dict[str, list[float]]:
        """One statistic from :attr:`records`: ``{layer tag: values}``, in layer order."""
        prefix = stat + "("
        out: dict[str, list[float]] = {}
        for row in self.records:
            for key, value in row.items():
                if key.startswith(prefix):
                    out.setdefault(key[len(prefix) : -1], []).append(value)
        return out

    def __repr__(self) -> str:
        return (
            f"Monitor(every={self.every}, saturation={self.saturation}, vanishing={self.vanishing})"
        )
