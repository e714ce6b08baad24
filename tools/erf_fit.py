"""Regenerate the Chebyshev coefficients of ``minitorch_bp.nn.functional.erf`` (needs mpmath).

numpy has no error function, and exact GELU needs one. The two series below are
Chebyshev interpolants computed here in 50-digit arithmetic:

- ``ERF_SMALL``: erf(x)/x as a function of u = x² on [0, 1] (|x| < 1), degree 11;
- ``ERFCX_LARGE``: erfcx(x) = exp(x²)·erfc(x) as a function of t = 1/x on [0, 1]
  (x ≥ 1), degree 28.

In float64 they give erf to 1.2e-16 absolute and erfc to 7e-15 relative for x < 6
(``tests/nn/test_functional_erf.py`` checks them against ``math.erf`` and ``math.erfc``).
Run ``python tools/erf_fit.py`` and paste its output into nn/functional.py.
"""

from __future__ import annotations

import mpmath as mp

mp.mp.dps = 50
NODES = 600


def chebyshev(f, a: float, b: float, degree: int) -> list[float]:
    """The first ``degree + 1`` Chebyshev coefficients of ``f`` on [a, b] (interpolation)."""
    a, b = mp.mpf(a), mp.mpf(b)
    angles = [mp.pi * (k + mp.mpf(1) / 2) / NODES for k in range(NODES)]
    values = [f((a + b) / 2 + (b - a) / 2 * mp.cos(t)) for t in angles]
    coefs = [
        2 * mp.fsum(v * mp.cos(j * t) for v, t in zip(values, angles, strict=True)) / NODES
        for j in range(degree + 1)
    ]
    coefs[0] /= 2
    return [float(c) for c in coefs]


def erf_over_x(u):
    return mp.erf(mp.sqrt(u)) / mp.sqrt(u) if u > 0 else 2 / mp.sqrt(mp.pi)


def erfcx_of_inverse(t):
    return mp.erfc(1 / t) * mp.exp(1 / t**2) if t > 0 else mp.mpf(0)


if __name__ == "__main__":
    for name, f, degree in (("ERF_SMALL", erf_over_x, 11), ("ERFCX_LARGE", erfcx_of_inverse, 28)):
        print(f"_{name} = (")
        for c in chebyshev(f, 0.0, 1.0, degree):
            print(f"    {c!r},")
        print(")")
