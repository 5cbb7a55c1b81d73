"""docs/explore.ipynb: committed without outputs, and it runs headlessly (nbclient).

The notebook runs in a kernel of this very interpreter (a kernelspec written
to tmp_path that names ``sys.executable``), with the repository root as its
working directory and Jupyter's config, data, runtime and IPython
directories in tmp_path.  Compile budget: none of its own (the surfaces of
the gallery recipes it runs, which tests/test_recipes.py compiles; the
compiled kernels come from the shared on-disk cache).
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
kernelspec = pytest.importorskip("ipykernel.kernelspec")
pytest.importorskip("panel")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402  (after the skips)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "explore.ipynb"
KERNEL = "landscape-notebook-test"
PROBE = "import sys, os; print(repr(sys.executable)); print(repr(os.getcwd()))"
DATA_URI = re.compile(r'src="data:image/(gif|png);base64,([A-Za-z0-9+/=]+)"')
PANEL_MIME = "application/vnd.holoviews_exec.v0+json"


def read():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_without_outputs():
    nb = read()
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 8
    for c in code:
        assert c.outputs == [] and c.execution_count is None, c.source[:60]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook, executed, plus a probe cell that prints the kernel's interpreter and cwd."""
    tmp = tmp_path_factory.mktemp("jupyter")
    mp = pytest.MonkeyPatch()
    for var in ["JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"]:
        mp.setenv(var, str(tmp / var.lower()))
    mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
    try:
        spec_dir = kernelspec.install(user=False, prefix=str(tmp), kernel_name=KERNEL)
        mp.setenv("JUPYTER_PATH", str(Path(spec_dir).parents[1]))  # .../share/jupyter
        assert KernelSpecManager().get_kernel_spec(KERNEL).argv[0] == sys.executable
        nb = read()
        nb.cells.append(nbformat.v4.new_code_cell(PROBE))
        # nbclient starts the kernel, and shuts it down and closes its sockets after
        client = nbclient.NotebookClient(
            nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(ROOT)}}
        )
        client.execute()
    finally:
        mp.undo()
    return nb


def outputs_of(nb, text):
    """The outputs of the one code cell whose source contains ``text``."""
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and text in c.source]
    return cell.outputs


def stdout_of(outputs):
    return "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")


def test_runs_in_this_interpreter_in_the_repository(executed):
    lines = stdout_of(executed.cells[-1].outputs).splitlines()
    assert lines == [repr(sys.executable), repr(str(ROOT))]


def test_no_cell_errors_or_writes_to_stderr(executed):
    for c in executed.cells:
        if c.cell_type != "code":
            continue
        kinds = [o.output_type for o in c.outputs]
        assert "error" not in kinds, c.source[:60]
        stderr = [o.text for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert stderr == [], (c.source[:60], stderr)


def test_every_claim_printed_holds(executed):
    """The markdown restates the recipes' claims: each must hold on the run shown."""
    text = "".join(stdout_of(c.outputs) for c in executed.cells if c.cell_type == "code")
    verdicts = [ln for ln in text.splitlines() if ln.endswith(("[holds]", "[FAILS]"))]
    assert len(verdicts) >= 25
    assert [v for v in verdicts if v.endswith("[FAILS]")] == []


@pytest.mark.parametrize(
    "renderer, fmt",
    [
        ("render.race(", "gif"),
        ("render.swarm(", "gif"),
        ("render.ewa_figure(", "png"),
        ("render.schedule_figure(", "png"),
    ],
)
def test_figure_cells_show_an_image_data_uri(executed, renderer, fmt):
    cells = [c.outputs for c in executed.cells if renderer in c.get("source", "")]
    assert cells
    for outputs in cells:
        (result,) = [o for o in outputs if o.output_type == "execute_result"]
        m = DATA_URI.search(result.data["text/html"])
        assert m and m.group(1) == fmt
        data = base64.b64decode(m.group(2))
        assert data[:4] == (b"GIF8" if fmt == "gif" else b"\x89PNG")
        if fmt == "png":
            assert base64.b64decode(result.data["image/png"]) == data


def test_simulating_cells_show_the_result_table(executed):
    cells = [c for c in executed.cells if ".simulate()" in c.get("source", "")]
    assert len(cells) == 6
    for c in cells:
        html = [o.data.get("text/html", "") for o in c.outputs if o.output_type == "display_data"]
        assert any(h.startswith('<table class="landscape-result">') for h in html), c.source[:60]


def test_explorer_cell_is_a_panel_layout(executed):
    outputs = outputs_of(executed, 'ls.explore("momentum_bowl")')
    (result,) = [o for o in outputs if o.output_type == "execute_result"]
    assert PANEL_MIME in result.data
    assert "text/html" in result.data
