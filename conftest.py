"""Names every docstring example may use without importing them."""

from typing import Any

import numpy as np
import pytest

from minitorch_bp import nn, optim


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    doctest_namespace.update(np=np, nn=nn, optim=optim)
