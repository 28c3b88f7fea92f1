"""Notebook 05 end to end through papermill on the demo sample (session fixture, read-only).

Moved from test_exploration_package.py.
"""

from __future__ import annotations

import nbformat
import pytest

from builders.exploration import is_vietnamese
from hoctap.paths import NOTEBOOKS_DIR

NOTEBOOK = NOTEBOOKS_DIR / "05-explore.ipynb"


@pytest.mark.slow
def test_notebook_runs_on_the_demo_through_papermill(demo_sample, tmp_path):
    import papermill as pm

    out = tmp_path / "05-explore.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        kernel_name="python3",
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        parameters={
            "data_dir": str(demo_sample.data_dir),
            "reports_dir": str(tmp_path / "reports"),
        },
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 6
    titles = [o["data"].get("text/plain", "") for o in images]
    for title in titles:
        assert title.startswith("Hình: ") and is_vietnamese(title), title
    assert len(set(titles)) == len(titles)  # every figure has its own title
    assert any("theo cấp học của trường báo cáo" in t for t in titles)
    assert any(t.startswith("Hình: Các thôn, buôn của xã") for t in titles)
    markdown = "\n".join(o["data"]["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {}))
    assert "dữ liệu giả lập" in markdown  # the sample is labelled as synthetic
    assert "Thấp nhất là **" in markdown and "người phân tích thay" in markdown  # the reading
    html = "\n".join(o["data"].get("text/html", "") for o in outputs if "data" in o)
    assert "Đạt/tổng số" in html
