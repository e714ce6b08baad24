"""Names every docstring example may use, and CI's rule that no extra's test may skip."""

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim

#: Set by ``.ci/run`` after it installs every optional extra: a test that skips because an
#: extra is missing (``pytest.importorskip`` or "... is not installed") fails instead, so
#: the torch, ONNX, scikit-learn, matplotlib and JAX tests cannot silently stop running.
REQUIRE_EXTRAS = "MINITORCH_BP_REQUIRE_EXTRAS"
_MISSING = ("could not import", "is not installed", "No module named")


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace.update(np=np, nn=nn, optim=optim)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get(REQUIRE_EXTRAS)):
        return
    reason = (
        str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    )
    if any(marker in reason for marker in _MISSING):
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_EXTRAS} is set but an optional extra is missing: {reason}"
