"""The docs site: it builds strictly, loads nothing from another host, and typesets every formula.

These tests need the docs extra (`pip install -e '.[docs]'`); without it they skip. The browser
test needs Debian's Chromium at /usr/bin/chromium and skips without it.
"""

from __future__ import annotations

import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
HOOK = DOCS / "hooks" / "convspec_docs.py"
CHROMIUM = Path("/usr/bin/chromium")

# A resource the page loads (not a link the reader may follow): src, <link href>, @import, url().
EXTERNAL = [
    re.compile(r"""<(?:script|img|iframe|source|audio|video|embed|track|input)\b[^>]*?\ssrc\s*=\s*["']?(?:https?:)?//""",
               re.I),
    re.compile(r"""<link\b[^>]*?\shref\s*=\s*["']?(?:https?:)?//""", re.I),
    re.compile(r"""@import\s+(?:url\()?\s*["']?(?:https?:)?//""", re.I),
    re.compile(r"""url\(\s*["']?(?:https?:)?//""", re.I),
    re.compile(r"""\ssrcset\s*=\s*["'][^"']*(?:https?:)?//""", re.I),
]
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\\frac|\\sum|\\text\{")
MATH_ERRORS = re.compile(r'data-mjx-error|data-mml-node="merror"|katex-error|class="arithmatex"')


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(REPO / "mkdocs.yml", out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return out


def visible_text(page: str) -> str:
    """The text a reader sees: no code, no typeset SVG, no scripts or styles, no tags."""
    for element in ("pre", "code", "svg", "script", "style"):
        page = re.sub(rf"<{element}\b.*?</{element}>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# --- the build ----------------------------------------------------------------------------------

def test_strict_build_succeeds_with_generated_pages_and_figures(site):
    for page in ("index.html", "concepts/convolution/index.html", "catalogue/index.html",
                 "catalogue/notes-convolution/index.html", "reference/vector-format/index.html",
                 "reference/mistakes/index.html", "reference/cli/index.html",
                 "reference/conformance-matrix/index.html", "reference/api/index.html",
                 "concepts/transposed-convolution/index.html"):
        assert (site / page).is_file(), page
    for figure in ("convolution-window.svg", "stride-windows.svg", "coverage.svg", "padding-ring.svg",
                   "kernels/original.png", "kernels/sharpen.png", "transpose-scatter.svg",
                   "transpose-zero-insertion.svg", "transpose-output-padding.svg",
                   "transpose-checkerboard.svg"):
        assert (site / "figures" / figure).stat().st_size > 500, figure
    assert not (site / "hooks").exists(), "the hook's sources must not be published"


def test_catalogue_lists_every_vector(site, corpus):
    pages = (site / "catalogue").rglob("index.html")
    text = html.unescape(re.sub(r"<[^>]+>", "", "".join(p.read_text(encoding="utf-8") for p in pages)))
    missing = [v.id for v in corpus if f"convspec show {v.id}" not in text]
    assert not missing, missing[:10]


def test_cli_reference_lists_every_verb(site):
    from convspec.conformance.cli import parser

    text = (site / "reference/cli/index.html").read_text(encoding="utf-8")
    verbs = parser()._subparsers._group_actions[0].choices
    for verb in verbs:
        assert f"convspec {verb}" in text


def test_api_page_documents_the_reference(site):
    text = (site / "reference/api/index.html").read_text(encoding="utf-8")
    for name in ("convspec.reference.conv.conv", "convspec.reference.coverage.coverage",
                 "convspec.conformance.load_vectors", "convspec.conformance.run"):
        assert f'id="{name}"' in text, name


# --- offline ------------------------------------------------------------------------------------

def test_no_page_loads_anything_from_another_host(site):
    files = pages(site) + sorted(site.rglob("*.css"))
    assert len(files) > 20
    offenders = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in EXTERNAL:
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(site)}: {match.group(0)[:120]}")
    assert not offenders, "\n".join(offenders[:20])


def test_the_external_resource_scan_catches_a_cdn():
    """The patterns above are not vacuous: each kind of remote load is seen."""
    samples = ['<script src="https://cdn.example/katex.js">',
               "<link rel=stylesheet href=//fonts.example/css>",
               '@import url("https://fonts.example/x.css");',
               "src: url(https://cdn.example/f.woff2)"]
    for sample in samples:
        assert any(p.search(sample) for p in EXTERNAL), sample
    assert not any(p.search('<a href="https://example.org/">a link</a>') for p in EXTERNAL)


# --- math ---------------------------------------------------------------------------------------

def test_every_formula_is_typeset(site):
    typeset = 0
    for path in pages(site):
        page = path.read_text(encoding="utf-8")
        assert not MATH_ERRORS.search(page), f"{path.relative_to(site)}: a formula failed to typeset"
        leftover = RAW_TEX.findall(visible_text(page))
        assert not leftover, f"{path.relative_to(site)}: raw TeX left in the text: {leftover[:5]}"
        typeset += page.count('data-mml-node="math"')
    assert typeset > 100


def test_math_pages_carry_typeset_svg(site):
    page = (site / "concepts/convolution/index.html").read_text(encoding="utf-8")
    assert page.count('class="cs-math cs-math-display"') >= 4
    assert page.count('class="cs-math cs-math-inline"') >= 10
    # the worked example is pulled from the vector: its sum, and its show command
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "convspec show notes/convolution/minus-60" in text
    assert "S(0, 0) &amp;= 10 \\cdot 1 + 20 \\cdot 0 + 30 \\cdot (-1)" in page  # the sum, term by term


def test_transposed_convolution_page_has_its_figures_vectors_and_calculator(site):
    page = (site / "concepts/transposed-convolution/index.html").read_text(encoding="utf-8")
    for figure in ("transpose-scatter", "transpose-zero-insertion", "transpose-output-padding",
                   "transpose-checkerboard"):
        assert f"figures/{figure}.svg" in page, figure
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert text.count("convspec show transpose/") >= 4  # worked examples drawn from the vectors
    assert page.count('class="cs-math cs-math-display"') >= 3
    calculator = (site / "concepts/output-size/index.html").read_text(encoding="utf-8")
    assert 'id="calc-transpose"' in calculator and 'id="calc-op"' in calculator


# --- vector ids cited by pages ------------------------------------------------------------------

def test_every_vector_id_cited_by_a_page_exists(corpus_by_id):
    cited = set()
    for path in DOCS.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        cited |= set(re.findall(r'\{\{\s*vector\s+"([^"]+)"\s*\}\}', text))
        cited |= {m for m in re.findall(r"convspec show ([a-z0-9][\w./-]*)", text) if m != "ID"}
    assert len(cited) >= 15
    assert not cited - set(corpus_by_id), sorted(cited - set(corpus_by_id))


def _mini_site(tmp_path: Path, page: str) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(page, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(json.dumps({
        "site_name": "probe", "docs_dir": str(docs), "hooks": [str(HOOK)],
        "markdown_extensions": ["admonition", "attr_list", "tables", "pymdownx.superfences",
                                {"pymdownx.arithmatex": {"generic": True}}],
    }), encoding="utf-8")
    return config


@pytest.mark.parametrize(("page", "problem"), [
    ('# ok\n\n{{ vector "notes/convolution/minus-60" }}\n\n$$x^2$$\n', None),
    ('# bad\n\n{{ vector "notes/convolution/no-such-vector" }}\n', "names no vector"),
    ("# bad\n\n```sh\nconvspec show notes/convolution/minus-61\n```\n", "names no vector"),
    ("# bad\n\n$$\\frac{a$$\n", "MathJax cannot typeset"),
])
def test_the_hook_fails_the_build_on_a_bad_id_or_formula(tmp_path, page, problem):
    proc = mkdocs_build(_mini_site(tmp_path, page), tmp_path / "site")
    output = proc.stdout + proc.stderr
    if problem is None:
        assert proc.returncode == 0, output[-4000:]
        built = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
        assert "notes/convolution/minus-60" in built and "cs-math-display" in built
    else:
        assert proc.returncode != 0
        assert problem in output, output[-4000:]


# --- in a real browser --------------------------------------------------------------------------

PROBE = """<script>
window.addEventListener("load", function () {
  var svgs = Array.prototype.slice.call(document.querySelectorAll(".cs-math > svg"));
  var sized = svgs.filter(function (s) {
    var r = s.getBoundingClientRect();
    return r.width > 2 && r.height > 2;
  });
  var glyphs = document.querySelectorAll(".cs-math svg use, .cs-math svg path").length;
  var pre = document.createElement("pre");
  pre.id = "math-probe";
  var found = {total: svgs.length, sized: sized.length, glyphs: glyphs};
  pre.textContent = "PROBE" + JSON.stringify(found) + "END";
  document.body.appendChild(pre);
});
</script>"""


def chromium(*args: str) -> subprocess.CompletedProcess:
    import tempfile

    profile = tempfile.mkdtemp(prefix="convspec-chromium-")
    try:
        return subprocess.run(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
             f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_chromium_shows_typeset_math(site, tmp_path):
    served = tmp_path / "served"
    shutil.copytree(site, served)
    page = served / "concepts" / "convolution" / "index.html"
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = partial(Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/concepts/convolution/"
        dom = chromium("--dump-dom", base + "probe.html")
        found = re.search(r"PROBE(\{.*?\})END", dom.stdout)
        assert found, dom.stdout[-2000:] + dom.stderr[-2000:]
        probe_result = json.loads(found.group(1))
        assert probe_result["total"] >= 14, probe_result
        assert probe_result["sized"] == probe_result["total"], probe_result  # every formula laid out
        assert probe_result["glyphs"] > 100, probe_result

        shot = tmp_path / "convolution.png"
        chromium("--window-size=1280,1600", "--hide-scrollbars", f"--screenshot={shot}", base)
        assert shot.is_file() and shot.stat().st_size > 20_000
        from PIL import Image

        with Image.open(shot) as image:
            colours = image.convert("L").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 16, "the screenshot is blank"
    finally:
        server.shutdown()
        server.server_close()
