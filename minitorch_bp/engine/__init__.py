r"""The execution engine: everything done for speed, in one place that can be read and switched off.

The layers of :mod:`minitorch_bp.nn` are their maths: each call allocates its result,
reads only its own cache and never looks at who produced its input. The engine takes a
whole training step (model, criterion, optimizer) and plans it once per batch shape:

- buffers for every intermediate array, reused by every step (nothing allocated);
- the notes' fused :math:`\delta^{(L)} = a^{(L)} - y` when a ``Sigmoid`` feeds a
  ``BCELoss``, and the residual computed once for ``MSELoss``;
- no :math:`\partial J/\partial X` for the first layer (the notes stop at :math:`\delta^{(2)}`);
- NaN and inf looked for in each ``Linear``'s output and in :math:`J`, with an error that
  names the layer and the array;
- ``np.dot`` on the layers' own parameter arrays, and one ``np.errstate`` per step.

:func:`compile_step` is the way in; :class:`Step` shows the compiled program
(``step.source()``) and runs the plain layers instead with ``engine=False``.
"""

from minitorch_bp.engine.step import Step, compile_step

__all__ = ["Step", "compile_step"]
