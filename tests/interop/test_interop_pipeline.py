"""An estimator exported whole: ONNX and torch on raw rows give predict_proba / predict."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from minitorch_bp.estimators import MLPClassifier, MLPRegressor
from minitorch_bp.interop import estimator_to_torch, export_estimator_onnx

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 3)) * [1.0, 10.0, 100.0] + [0.0, 5.0, -50.0]
X_NAN = X.copy()
X_NAN[0, 1] = np.nan
NAMES = np.array(["ant", "bee", "cat"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 5).astype(int)]


def _fit(est: object, y: np.ndarray) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)  # type: ignore[attr-defined]


CASES = {
    "sigmoid": lambda: _fit(MLPClassifier((4,), solver="lbfgs", output="sigmoid", na="mean", random_state=0, max_iter=30), NAMES),
    "softmax": lambda: _fit(MLPClassifier((4,), solver="lbfgs", output="softmax", na="mean", random_state=0, max_iter=30), NAMES),
    "binary": lambda: _fit(MLPClassifier((4,), solver="lbfgs", na="mean", random_state=0, max_iter=30), X[:, 0] > 0),
    "regressor": lambda: _fit(MLPRegressor((4,), solver="lbfgs", na="mean", random_state=0, max_iter=30), 300 + 40 * X[:, 0]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_onnx_on_raw_rows_equals_the_estimator(case: str, tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    est = CASES[case]()
    classifier = case != "regressor"
    want = est.predict_proba(X_NAN) if classifier else est.predict(X_NAN).reshape(-1, 1)  # type: ignore[attr-defined]
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        path = export_estimator_onnx(est, tmp_path / "m.onnx", dtype=dtype, labels=classifier)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        got = session.run(None, {"input": X_NAN.astype(dtype)})
        scale = 1.0 if classifier else float(np.abs(want).max())
        assert np.abs(got[0] - want).max() <= tol * scale
        assert got[0].dtype == dtype
        if classifier:
            labels = [v.decode() if isinstance(v, bytes) else v for v in got[1].tolist()]
            assert labels == est.predict(X_NAN).tolist()  # type: ignore[attr-defined]


def test_the_graph_starts_with_the_preprocessing() -> None:
    pytest.importorskip("onnx")
    from minitorch_bp.interop import estimator_to_onnx

    proto = estimator_to_onnx(CASES["sigmoid"]())
    assert [n.op_type for n in proto.graph.node[:4]] == ["IsNaN", "Where", "Sub", "Div"]
    with pytest.raises(ValueError, match="labels=True is for single-label classifiers"):
        estimator_to_onnx(CASES["regressor"](), labels=True)
    with pytest.raises(ValueError, match="is not a fitted estimator"):
        estimator_to_onnx(MLPClassifier())


def test_torch_on_raw_rows_gives_the_networks_outputs() -> None:
    torch = pytest.importorskip("torch")
    est = CASES["softmax"]()
    seq = estimator_to_torch(est)
    got = seq(torch.from_numpy(X_NAN)).detach().numpy()
    want = est.model_(est.preprocessing_.transform(X_NAN))  # type: ignore[attr-defined]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert list(seq.state_dict())[:3] == ["0.means", "0.mean", "0.std"]
