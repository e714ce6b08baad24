"""Input checks shared by the modules, losses and optimizers.

Every check raises early with a message that names the module or argument and the
values involved, so a user mistake never turns into a silently wrong number.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_F32, _F64 = FLOAT_DTYPES

Array = NDArray[Any]


def check_float_dtype(dtype: Any, who: str) -> np.dtype[Any]:
    """Return ``np.dtype(dtype)`` if it is float32 or float64, else raise ``ValueError``."""
    try:
        dt: np.dtype[Any] = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"{who}: dtype={dtype!r} is not a numpy dtype") from exc
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"{who}: dtype={dt} is not supported; use np.float64 or np.float32")
    return dt


def check_positive_int(value: Any, name: str, who: str) -> int:
    """Return ``value`` if it is an integer >= 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: {name}={value!r} must be a positive integer")
    return int(value)


def check_positive(value: Any, name: str, who: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise ``ValueError``."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: {name}={value!r} must be a number > 0") from exc
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{who}: {name}={value!r} must be a finite number > 0")
    return number


def check_nonnegative(value: Any, name: str, who: str, hint: str = "") -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise ``ValueError``."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{who}: {name}={value!r} must be a number >= 0{hint}") from exc
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{who}: {name}={value!r} must be a finite number >= 0{hint}")
    return number


def check_finite_number(value: Any, name: str, who: str) -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool), else raise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.floating, np.integer))
        or not math.isfinite(value)
    ):
        raise ValueError(f"{who}: {name}={value!r} must be a finite number")
    return float(value)


def check_batch_size(m: Any, who: str) -> int:
    """Return ``m``, the number of examples behind a gradient, if it is an integer >= 1."""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(
            f"{who}: m={m!r} must be a positive integer, the number of examples in the batch"
            " (len(X))"
        )
    return int(m)


def check_example_count(m: Any, who: str) -> float:
    """Return ``m`` behind a gradient: an integer >= 1 (``len(X)``) or a total sample weight > 0.

    With sample weights the notes' :math:`m` becomes their sum (scikit-learn's ``sw_sum``),
    so a float is allowed; an integer stays an integer.
    """
    if isinstance(m, (int, np.integer)) and not isinstance(m, bool):
        return check_batch_size(m, who)
    if isinstance(m, (float, np.floating)) and math.isfinite(m) and m > 0:
        return float(m)
    raise ValueError(
        f"{who}: m={m!r} must be a positive integer, the number of examples in the batch"
        " (len(X)), or with sample weights their total, a number > 0"
    )


def as_grad(grad: Any, shape: tuple[int, ...], who: object) -> Array:
    """Return ``grad`` (∂J/∂output) as a float array of ``shape``, the last forward's output shape.

    ``who`` (a name, or the module itself) is formatted only for an error message, so the
    success path builds no string.
    """
    arr = grad if isinstance(grad, np.ndarray) else np.asarray(grad)
    if arr.shape == shape and (arr.dtype is _F64 or arr.dtype is _F32):
        return arr
    if arr.shape != shape:
        raise ValueError(
            f"{who}.backward got grad_output of shape {arr.shape}; expected {shape} to match"
            " the last forward"
        )
    if arr.dtype not in FLOAT_DTYPES:
        raise ValueError(
            f"{who}.backward expects a float32 or float64 grad_output; got dtype {arr.dtype}"
        )
    return arr


def as_batch(x: Any, who: str, name: str = "input") -> Array:
    """Return ``x`` as a 2-D float array with one example per row.

    Accepts ndarrays (no copy) and nested sequences. Refuses 1-D and n-D inputs,
    integer, boolean and object arrays with a message saying what to do instead.
    """
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.ndim != 2:
        hint = (
            f" For one example use {name}.reshape(1, -1); for m examples of one feature"
            f" use {name}.reshape(-1, 1)."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{who} expects a 2-D {name} of shape (m, features) with one example per row;"
            f" got shape {arr.shape}.{hint}"
        )
    if arr.dtype not in FLOAT_DTYPES:
        raise ValueError(
            f"{who} expects a float32 or float64 {name}; got dtype {arr.dtype}."
            f" Convert it first, e.g. {name}.astype(np.float64)."
        )
    return arr


def as_examples(x: Any, who: str, name: str = "input") -> Array:
    """Return ``x`` as a float array of at least 2 dimensions, one example per row (axis 0).

    For layers that take any shape ``(m, *)`` (activations, dropout, normalisation):
    refuses 1-D and 0-D input with the hint of :func:`as_batch`, and non-float dtypes.
    """
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.ndim < 2:
        if arr.ndim == 1:
            as_batch(arr, who, name)  # raises, with the reshape hint
        raise ValueError(
            f"{who} expects a {name} of shape (m, ...) with one example per row; got shape"
            f" {arr.shape}"
        )
    if arr.dtype not in FLOAT_DTYPES:
        as_batch(arr.reshape(len(arr), -1), who, name)  # raises, naming the dtype
    return arr


def as_spatial(x: Any, who: str, layout: str, name: str = "input") -> Array:
    """Return ``x`` as a float array whose shape has the letters of ``layout`` ("(m, C, H, W)").

    Raises ``ValueError`` naming the expected layout for any other number of dimensions
    or a non-float dtype; a 2-D batch of flat rows gets a hint to reshape it.
    """
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    ndim = layout.count(",") + 1
    if arr.ndim != ndim:
        hint = ""
        if arr.ndim == 2 and ndim > 2:
            hint = (
                f" A batch of flat rows needs reshaping first: {name}.reshape{layout},"
                " or nn.Unflatten as the model's first layer."
            )
        raise ValueError(
            f"{who} expects a {ndim}-D {name} {layout}, one example per row (the first"
            f" axis); got shape {arr.shape}.{hint}"
        )
    if arr.dtype not in FLOAT_DTYPES:
        raise ValueError(
            f"{who} expects a float32 or float64 {name}; got dtype {arr.dtype}."
            f" Convert it first, e.g. {name}.astype(np.float64)."
        )
    return arr


def check_input_dtype(x: Array, dtype: np.dtype[Any], who: str) -> None:
    """Refuse an input whose float dtype is not the layer's, saying how to convert either."""
    if x.dtype != dtype:
        raise ValueError(
            f"{who} has dtype {dtype} but got {x.dtype} input; convert the input"
            f" (x.astype(np.{dtype})) or build the layer with dtype=np.{x.dtype}"
        )


def diagnose_non_finite(who: str, x: Array, params: dict[str, Any], out: Array) -> None:
    """Explain an output with NaN or inf: name the first bad value of ``x`` or a parameter.

    Called by a layer whose cheap output check failed. Raises ``ValueError`` for a NaN or
    inf in the input or a parameter, ``FloatingPointError`` for an overflow from finite
    values; returns when ``out`` is finite after all (a sum of squares that overflowed).
    """
    if np.isfinite(out).all():
        return
    check_finite(x, who)
    for name, p in params.items():
        check_finite(p.data, who, name)
    raise FloatingPointError(
        f"{who} produced inf from finite inputs and parameters (overflow);"
        " scale the inputs or lower the learning rate"
    )


def finite_sum_of_squares(x: Array) -> bool:
    r"""Return whether :math:`\sum x^2` is finite: always, unless ``x`` has NaN or inf.

    A cheap first test of finiteness: one BLAS dot product, which (unlike a ufunc
    reduction) raises no floating-point warnings, so no ``np.errstate`` is needed. It
    can also fail on finite values whose squares overflow (:math:`|x| > 10^{154}` in
    float64, :math:`10^{19}` in float32), so a caller confirms a failure with
    ``np.isfinite``.
    """
    return math.isfinite(float(np.vdot(x, x)))


class NonFiniteError(ValueError):
    """NaN or inf where a finite number was needed (a ``ValueError``).

    Its own class so that ``fit``, which checks its data before training, can tell a run
    that diverged (the parameters or the activations went non-finite) from a mistake.
    """


def check_finite(x: Array, who: str, name: str = "input", hint: str = "") -> None:
    """Raise :class:`NonFiniteError` naming the first NaN or inf in ``x``.

    The cheap test (one dot product) runs first; the element search only on failure,
    which also clears finite values whose sum of squares overflowed.
    """
    if finite_sum_of_squares(x):
        return
    bad = ~np.isfinite(x)
    if not bad.any():
        return
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    raise NonFiniteError(
        f"{who}: {name} contains {int(bad.sum())} NaN or inf value(s); the first is"
        f" {x[where]} at index {where}{hint}"
    )


def check_same_shape(shape: tuple[int, ...], target: Array, who: str) -> None:
    """Refuse a target whose shape is not the prediction's ``shape`` (no silent broadcasting)."""
    if tuple(shape) != target.shape:
        hint = ""
        if target.ndim == 1 and len(shape) == 2 and tuple(shape) == (target.shape[0], 1):
            hint = " Reshape the target with target.reshape(-1, 1)."
        raise ValueError(
            f"{who}: prediction has shape {tuple(shape)} but target has shape {target.shape};"
            f" they must match exactly (rows are examples, columns are outputs).{hint}"
        )
