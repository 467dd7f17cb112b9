"""MkDocs hook: everything on the site that comes from the spec is generated here, on every build.

- Generated pages (never committed): the vector catalogue (one page per topic file), the vector
  format (from the JSON Schema), the mistakes registry, the CLI reference, the conformance matrix,
  and the spec's own documents listed in ``SPEC_PAGES``, each a page as it stands in the package.
- Figures (never committed): SVG and PNG drawn by ``figures.py`` from the vectors and the reference.
- Directives on hand-written pages, each alone on its line:
  ``{{ vector "ID" }}`` — the vector's values, expected output, first element term by term and the
  ``convspec show ID`` command; an unknown ID fails the build.
  ``{{ spec "accuracy.md" }}`` — a text of the spec package, headings moved one level down.
- Math: LaTeX between ``$...$`` / ``$$...$$`` (found by pymdownx.arithmatex) is typeset at build
  time into self-contained SVG by MathJax running in-process (the ``quickjax`` package from PyPI,
  which vendors MathJax and runs it in QuickJS). Pages carry no math script, style or font, so
  nothing is fetched when the site is built or viewed; a formula MathJax cannot typeset fails the
  build.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import posixpath
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import ClassVar

import numpy as np
import yaml
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from convspec import spec as spec_package
from convspec.conformance import load_vectors
from convspec.conformance.show import format_array

SPEC_DIR = Path(spec_package.__file__).parent
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HERE = Path(__file__).parent
# Spec documents published as pages of their own, unchanged: site page -> file of the spec package.
SPEC_PAGES = {"spec/index.md": "README.md", "spec/semantics.md": "semantics.md",
              "spec/backend-protocol.md": "backend-protocol.md", "spec/outcomes.md": "outcomes.md"}
MAX_SHOWN = 150  # catalogue: arrays with more elements are summarised, `convspec show` prints them
MAX_MATRIX = 64  # worked examples: arrays up to this size are typeset as matrices
MAX_TERMS = 27  # worked examples: the first element is written term by term up to this many terms

DIRECTIVE = re.compile(r'^(?P<indent>[ \t]*)\{\{\s*(?P<verb>\w+)\s+"(?P<arg>[^"]*)"\s*\}\}[ \t]*$', re.M)
SHOW_CMD = re.compile(r"convspec show ((?:[a-z0-9][\w.-]*/)*[a-z0-9][\w.-]*)")
MATH = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', re.S)
MATH_ERROR = re.compile(r'data-mjx-error|data-mml-node="merror"|data-mml-node="mtext" fill="red"')


def _load_figures():
    spec = importlib.util.spec_from_file_location("convspec_docs_figures", HERE / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class State:
    """What one build knows: the corpus, and the formulas typeset so far (keyed by TeX)."""

    vectors: ClassVar[dict] = {}
    by_topic: ClassVar[dict[str, list]] = {}
    descriptions: ClassVar[dict[str, str]] = {}
    math_cache: ClassVar[dict[tuple[str, bool], str]] = {}
    timings: ClassVar[dict[str, float]] = {}
    renderer = None
    started = 0.0


def md(text: str, *, cell: bool = False) -> str:
    """Free text from a vector file as literal Markdown: no links, emphasis, HTML or math.

    ``cell``: the text goes into a table cell, where ``|`` must be escaped too.
    """
    text = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;")
    text = re.sub(r"([\\`*_\[\]$])", r"\\\1", text)
    return text.replace("|", "\\|") if cell else text


def slug(vector_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", vector_id.lower()).strip("-")


def catalogue_uri(vector) -> str:
    return f"catalogue/{vector.topic}.md"


def rel(from_uri: str, to_uri: str) -> str:
    """A link from the page ``from_uri`` to ``to_uri`` (both relative to docs/)."""
    return posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")


# --- mkdocs events ------------------------------------------------------------------------------

def _api_source_view() -> str:
    """A folder holding ``convspec/{spec,reference,conformance}`` as links to the installed code.

    The repository keeps the three packages at its top level and setuptools maps them to
    ``convspec.*`` (an editable install resolves them through an import hook), so griffe's static
    finder, which walks folders, cannot find ``convspec.reference``. This view gives it the layout
    it expects, wherever the package is installed from.
    """
    import convspec.conformance
    import convspec.reference

    root = Path(tempfile.mkdtemp(prefix="convspec-api-"))
    (root / "convspec").mkdir()
    for name, module in (("spec", spec_package), ("reference", convspec.reference),
                         ("conformance", convspec.conformance)):
        (root / "convspec" / name).symlink_to(Path(module.__file__).parent, target_is_directory=True)
    return str(root)


@event_priority(100)  # before mkdocstrings reads its handler options
def on_config(config):
    State.started = time.perf_counter()
    plugin = config["plugins"].get("mkdocstrings")
    if plugin is not None:
        python = plugin.config["handlers"].setdefault("python", {})
        python["paths"] = [_api_source_view(), *python.get("paths", [])]
    vectors = load_vectors()
    State.vectors = {v.id: v for v in vectors}
    State.by_topic = defaultdict(list)
    for v in vectors:
        State.by_topic[v.topic].append(v)
    State.descriptions = {}
    for path in sorted((SPEC_DIR / "vectors").glob("*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        State.descriptions[doc["topic"]] = " ".join(str(doc.get("description", "")).split())
    slugs = defaultdict(list)
    for v in vectors:
        slugs[(v.topic, slug(v.id))].append(v.id)
    clashes = [ids for ids in slugs.values() if len(ids) > 1]
    if clashes:
        raise PluginError(f"vector ids share a catalogue anchor: {clashes}")
    _expand_catalogue_nav(config.get("nav"))
    return config


def _expand_catalogue_nav(nav) -> None:
    """Give the nav's ``catalogue/index.md`` entry one child page per topic file."""
    if not nav:
        return
    for i, item in enumerate(nav):
        if isinstance(item, dict):
            (title, value), = item.items()
            if value == "catalogue/index.md":
                nav[i] = {title: ["catalogue/index.md"] + [
                    {topic: f"catalogue/{topic}.md"} for topic in sorted(State.by_topic)]}
                return
            if isinstance(value, list):
                _expand_catalogue_nav(value)


def on_files(files, config):
    start = time.perf_counter()
    pages = {
        "catalogue/index.md": catalogue_index(),
        "reference/vector-format.md": vector_format_page(),
        "reference/mistakes.md": mistakes_page(),
        "reference/cli.md": cli_page(),
        "reference/conformance-matrix.md": matrix_page(),
    }
    for topic in State.by_topic:
        pages[f"catalogue/{topic}.md"] = catalogue_page(topic)
    for uri, name in SPEC_PAGES.items():
        pages[uri] = (SPEC_DIR / name).read_text(encoding="utf-8")
    for uri, text in pages.items():
        files.append(File.generated(config, uri, content=text))
    for name, data in _load_figures().build_figures(State.vectors).items():
        files.append(File.generated(config, f"figures/{name}", content=data))
    State.timings["generated pages and figures"] = time.perf_counter() - start
    return files


def on_page_markdown(markdown, page, config, files):
    uri = page.file.src_uri
    if not page.file.generated_by:
        for vid in SHOW_CMD.findall(markdown):
            if vid not in State.vectors and vid != "ID":
                raise PluginError(f"{uri}: `convspec show {vid}` names no vector")

    def expand(match: re.Match) -> str:
        verb, arg, indent = match["verb"], match["arg"], match["indent"]
        if verb == "vector":
            if arg not in State.vectors:
                near = [v for v in State.vectors if arg.split("/")[-1] in v][:3]
                raise PluginError(f"{uri}: {{{{ vector \"{arg}\" }}}} names no vector"
                                  + (f" (did you mean {', '.join(near)}?)" if near else ""))
            text = worked_example(State.vectors[arg], uri)
        elif verb == "spec":
            path = SPEC_DIR / arg
            if not path.is_file():
                raise PluginError(f"{uri}: {{{{ spec \"{arg}\" }}}}: no such file in the spec package")
            text = re.sub(r"^(#+) ", r"#\1 ", path.read_text(encoding="utf-8"), flags=re.M)
        else:
            raise PluginError(f"{uri}: unknown directive {{{{ {verb} ... }}}}")
        return "\n".join(indent + line if line else line for line in text.splitlines())

    return DIRECTIVE.sub(expand, markdown)


def on_page_content(html_text, page, config, files):
    return typeset(html_text, page.file.src_uri)


def on_post_build(config):
    seconds = time.perf_counter() - State.started
    import logging

    logging.getLogger("mkdocs.hooks.convspec").info(
        "convspec docs: %d vectors, %d formulas typeset, %.1f s", len(State.vectors),
        len(State.math_cache), seconds)


# --- math ---------------------------------------------------------------------------------------

def render_tex(tex: str, display: bool) -> str:
    key = (tex, display)
    if key not in State.math_cache:
        if State.renderer is None:
            from quickjax import MathJaxRenderer

            State.renderer = MathJaxRenderer()
        svg = State.renderer.render(tex, display=display)
        if MATH_ERROR.search(svg):
            raise ValueError(svg)
        label = html.escape(tex, quote=True)
        State.math_cache[key] = svg.replace('role="img"', f'role="img" aria-label="{label}"', 1)
    return State.math_cache[key]


def typeset(html_text: str, where: str) -> str:
    def replace(match: re.Match) -> str:
        raw = html.unescape(match["tex"]).strip()
        display = match["tag"] == "div"
        for start, end in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$")):
            if raw.startswith(start) and raw.endswith(end):
                raw = raw[len(start):-len(end)]
                break
        raw = raw.strip()
        try:
            svg = render_tex(raw, display)
        except Exception as exc:  # quickjax's own error, or the error node found above
            raise PluginError(f"{where}: MathJax cannot typeset {raw!r}") from exc
        kind = "display" if display else "inline"
        tag = "div" if display else "span"
        tex = html.escape(raw, quote=True)
        return f'<{tag} class="cs-math cs-math-{kind}" data-tex="{tex}">{svg}</{tag}>'

    return MATH.sub(replace, html_text)


# --- worked examples on hand-written pages ------------------------------------------------------

def _squeeze(a: np.ndarray) -> np.ndarray:
    while a.ndim > 2 and a.shape[0] == 1:
        a = a[0]
    return a


def _tex_number(v) -> str:
    v = float(v)
    if np.isnan(v):
        return r"\text{NaN}"
    if np.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    return f"{v:.0f}" if v.is_integer() else f"{v:.8g}"


def tex_matrix(a: np.ndarray) -> str | None:
    a = _squeeze(np.asarray(a, dtype=np.float64))
    if a.size > MAX_MATRIX or a.ndim > 2:
        return None
    rows = a.reshape(1, -1) if a.ndim < 2 else a
    body = r" \\ ".join(" & ".join(_tex_number(v) for v in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _attributes_line(v) -> str:
    return v.operator.describe(v.call)


def _mistake_links(v, page_uri: str) -> str:
    target = rel(page_uri, "reference/mistakes.md")
    return ", ".join(f"[`{m}`]({target}#{m})" for m in v.catches)


def _term_by_term(v, arrays, expected) -> str | None:
    if v.expected_error:
        return None
    index = (0,) * expected.ndim
    pairs = v.operator.term_pairs(v.call, arrays, index)
    if pairs is None or len(pairs) > MAX_TERMS:
        return None
    per_row = v.inputs["w"]["shape"][-1]
    def factor(v: float) -> str:
        return _tex_number(v) if v >= 0 or np.isnan(v) else f"({_tex_number(v)})"

    products = [rf"{factor(x)} \cdot {factor(w)}" for x, w in pairs]
    rows = [" + ".join(products[i:i + per_row]) for i in range(0, len(products), per_row)]
    if "b" in arrays:
        rows[-1] += rf" + {_tex_number(arrays['b'][index[1]])}"
    pos = ", ".join(str(i) for i in index[2:])
    lines = [rf"S({pos}) &= {rows[0]}"] + [rf"&\quad + {r}" for r in rows[1:]]
    lines.append(rf"&= {_tex_number(expected[index])}")
    return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"


def worked_example(v, page_uri: str) -> str:
    """A vector as an example box: provenance, values, expected output, term by term, command."""
    arrays = v.arrays()
    title = md(v.title).replace('"', "'")
    out = [f'!!! example "Vector `{v.id}`: {title}"', ""]
    body = [
        f"**Source:** {md(v.source)}.  ",
        f"**Catches:** {_mistake_links(v, page_uri)}.  ",
        f"**{v.op}**, {v.dtype}; {_attributes_line(v)}.",
        "",
    ]
    if v.notes:
        body += [md(v.notes), ""]
    if v.expected_error:
        expected = None
        body += [f"An invalid call: every backend must reject it (`{v.expected_error}`).", ""]
    else:
        expected = v.expectation(arrays).values
    named = [(name, a) for name, a in arrays.items()] + ([("y", expected)] if expected is not None else [])
    matrices = [(name, tex_matrix(a)) for name, a in named]
    if all(m is not None for _, m in matrices):
        names = {"y": r"\text{expected}"}
        parts = [f"{names.get(name, name)} = {m}" for name, m in matrices]
        if sum(np.size(a) for _, a in named) <= 40:
            body += ["$$", r" \qquad ".join(parts), "$$", ""]
        else:  # one matrix a line: side by side they would not fit the column
            for part in parts:
                body += ["$$", part, "$$", ""]
    else:
        for name, a in named:
            label = "expected output" if name == "y" else name
            body += [f"`{label}` {list(a.shape)}:", "", "```text",
                     format_array(np.asarray(a, dtype=np.float64)), "```", ""]
    if v.windows:
        row = v.inputs["w"]["shape"][-1]
        body += ["Windows, as the vector annotates them (`convspec validate` checks each):", ""]
        for w in v.windows:
            cover = w["covers"]
            rows = " / ".join(" ".join(cover[i:i + row]) for i in range(0, len(cover), row))
            body.append(f"- output {w['at']}: {rows}")
        body.append("")
    worked = _term_by_term(v, arrays, expected) if expected is not None else None
    if worked:
        body += ["The first output element, term by term:", "", "$$", worked, "$$", ""]
    target = rel(page_uri, catalogue_uri(v)) + "#" + slug(v.id)
    body += ["```sh", f"convspec show {v.id}", "```", "", f"[This vector in the catalogue]({target})"]
    out += ["    " + line if line else "" for line in "\n".join(body).splitlines()]
    return "\n".join(out) + "\n"


# --- the catalogue ------------------------------------------------------------------------------

def _tensor_text(name: str, spec: dict, values: np.ndarray | None, note: str = "") -> list[str]:
    """One tensor for the catalogue's text block: a header line, then its values when small."""
    shape = list(spec["shape"])
    head = f"{name} {shape}"
    if "generate" in spec:
        head += " generated by {" + ", ".join(f"{k}: {val}" for k, val in spec["generate"].items()) + "}"
    if note:
        head += f" ({note})"
    if values is None or values.size > MAX_SHOWN:
        return [head, f"  {int(np.prod(shape))} values: `convspec show` prints them", ""]
    return [head, format_array(np.asarray(values, dtype=np.float64)), ""]


def catalogue_entry(v) -> list[str]:
    uri = catalogue_uri(v)
    lines = [f"## `{v.id}` {{#{slug(v.id)}}}", "", f"**{md(v.title)}**", "",
             f"**source** {md(v.source)}  ",
             f"**catches** {_mistake_links(v, uri)}  ",
             f"**tags** {', '.join(v.tags)}  ",
             f"**{v.op}**, {v.dtype}; {_attributes_line(v)}", ""]
    if v.notes:
        lines += [md(v.notes), ""]
    arrays = v.arrays()
    block: list[str] = []
    for name, spec in v.inputs.items():
        block += _tensor_text(name, spec, arrays[name])
    if v.expected_error:
        block += [f"expected: an error ({v.expected_error}); the call is invalid and must be rejected", ""]
    else:
        values = v.expectation(arrays).values
        how = "written in the file" if "data" in v.expected else "computed by the reference"
        block += _tensor_text("expected", v.expected, values, how)
    for w in v.windows:
        block.append(f"window at {w['at']} covers {' '.join(w['covers'])}")
    lines += ["```text", *[line for line in block], "```", ""]
    lines += ["```sh", f"convspec show {v.id}", "```", ""]
    return lines


def catalogue_page(topic: str) -> str:
    vectors = State.by_topic[topic]
    lines = [f"# {topic}", "",
             "<!-- generated by docs/hooks/convspec_docs.py from spec/vectors; do not edit -->", "",
             md(State.descriptions.get(topic, "")), "",
             f"{len(vectors)} vectors, from `spec/vectors/{topic}.yaml`. "
             "Every one of them runs with `convspec run --tag " + topic + "`.", ""]
    for v in vectors:
        lines += catalogue_entry(v)
    return "\n".join(lines)


def catalogue_index() -> str:
    total = sum(len(v) for v in State.by_topic.values())
    lines = ["# The vector catalogue", "",
             "<!-- generated by docs/hooks/convspec_docs.py from spec/vectors; do not edit -->", "",
             f"Every vector of the corpus, {total} in all, one page per topic file of `spec/vectors/`. "
             "The pages are generated from the vector files on every build of this site, so they "
             "cannot drift from what `convspec run` checks. Each vector shows its id, where it comes "
             "from, the mistakes it catches, its attributes, its inputs and expected output (when they "
             "are small), and the command that prints it in full with its first element worked out.",
             "", "| topic | vectors | what it covers |", "|---|---:|---|"]
    for topic in sorted(State.by_topic):
        desc = State.descriptions.get(topic, "")
        short = md(desc.split(". ")[0].rstrip(".") + ".", cell=True)
        lines.append(f"| [{topic}]({topic}.md) | {len(State.by_topic[topic])} | {short} |")
    return "\n".join(lines) + "\n"


# --- the vector format, from the JSON Schema ----------------------------------------------------

def _schema_type(node: dict) -> str:
    if "$ref" in node:
        name = node["$ref"].split("/")[-1]
        return f"[{name}](#{name.replace('_', '-')})"
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{e}`" for e in node["enum"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            return ("either " if key == "oneOf" else "any of ") + "; or ".join(
                _schema_type(alt) for alt in node[key])
    kind = node.get("type", "any")
    text = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and "items" in node:
        text = f"array of {_schema_type(node['items'])}"
        if "minItems" in node:
            text += f" (at least {node['minItems']})"
    if kind == "object" and "properties" in node and "description" not in node:
        text = "object with " + ", ".join(f"`{k}`" for k in node["properties"])
    if "pattern" in node:
        text += f" matching `{node['pattern']}`"
    for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤")):
        if key in node:
            text += f" {word} {node[key]}"
    return text


def _schema_table(node: dict) -> list[str]:
    required = set(node.get("required", []))
    rows = ["| field | required | value | meaning |", "|---|---|---|---|"]
    for name, prop in node.get("properties", {}).items():
        desc = " ".join(prop.get("description", "").split()).replace("|", "\\|")
        value = _schema_type(prop).replace("|", "\\|")
        rows.append(f"| `{name}` | {'yes' if name in required else ''} | {value} | {desc} |")
    if node.get("additionalProperties") is False:
        rows += ["", "No other fields are allowed."]
    return [*rows, ""]


def vector_format_page() -> str:
    schema = json.loads((SPEC_DIR / "vector-file.schema.json").read_text(encoding="utf-8"))
    lines = ["# The vector format", "",
             "<!-- generated by docs/hooks/convspec_docs.py from the JSON Schema; do not edit -->",
             "",
             "This page is generated from `spec/vector-file.schema.json`, the JSON Schema every vector "
             "file must satisfy (`convspec validate` checks it), followed by the spec's own text on "
             "the format, `spec/vectors.md`.", "",
             "## A vector file {#file}", "", schema.get("description", ""), ""]
    lines += _schema_table(schema)
    for name, node in schema.get("$defs", {}).items():
        lines += [f"## `{name}` {{#{name.replace('_', '-')}}}", ""]
        if node.get("description"):
            lines += [" ".join(node["description"].split()), ""]
        if "properties" in node:
            lines += _schema_table(node)
        else:
            lines += [f"Value: {_schema_type(node)}.", ""]
    lines += ["## The format in words", ""]
    text = (SPEC_DIR / "vectors.md").read_text(encoding="utf-8")
    text = re.sub(r"^# .*\n", "", text, count=1)
    lines += [re.sub(r"^(#+) ", r"##\1 ", text, flags=re.M), ""]
    lines += ['??? note "The JSON Schema in full"', "", "    ```json"]
    lines += ["    " + line for line in json.dumps(schema, indent=2, ensure_ascii=False).splitlines()]
    lines += ["    ```", ""]
    return "\n".join(lines)


# --- mistakes -----------------------------------------------------------------------------------

def mistakes_page() -> str:
    mistakes = yaml.safe_load((SPEC_DIR / "mistakes.yaml").read_text(encoding="utf-8"))
    catching = defaultdict(list)
    for v in State.vectors.values():
        for m in v.catches:
            catching[m].append(v)
    lines = ["# The mistakes registry", "",
             "<!-- generated by docs/hooks/convspec_docs.py from spec/mistakes.yaml; do not edit -->", "",
             "The mistakes convspec's vectors are written to catch, from `spec/mistakes.yaml`. Every "
             "`catches` entry of every vector names one of them, and each is modelled once, in "
             "`conformance/mistakes/`, by a deliberately faulty implementation that makes exactly that "
             "mistake: the test suite checks that it fails every vector claiming to catch it, and "
             "`convspec fuzz` uses it to name the mistake a failing case shows.", "",
             "| mistake | vectors | what goes wrong |", "|---|---:|---|"]
    for name, text in mistakes.items():
        lines.append(f"| [`{name}`](#{name}) | {len(catching[name])} | {md(text, cell=True)} |")
    lines.append("")
    for name, text in mistakes.items():
        lines += [f"## `{name}` {{#{name}}}", "", md(str(text)[0].upper() + str(text)[1:]) + ".", ""]
        for v in catching[name]:
            lines.append(f"- [`{v.id}`](../{catalogue_uri(v)}#{slug(v.id)}): {md(v.title)}")
        lines.append("")
    return "\n".join(lines)


# --- the command line ---------------------------------------------------------------------------

def cli_page() -> str:
    from convspec.conformance.cli import parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        top = parser()
        lines = ["# Command line", "",
                 "<!-- generated by docs/hooks/convspec_docs.py from the CLI parser; do not edit -->",
                 "", "The help texts of `convspec` and each of its verbs, as the installed command prints "
                 "them (this page is generated from the same argument parser).", "",
                 "```text", top.format_help().rstrip(), "```", ""]
        verbs = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
        summaries = {a.dest: a.help for a in verbs._choices_actions}
        for name, sub in verbs.choices.items():
            lines += [f"## `convspec {name}`", "", (summaries.get(name) or "").capitalize() + ".", "",
                      "```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return "\n".join(lines)


# --- conformance matrix -------------------------------------------------------------------------

def matrix_page() -> str:
    """Outcomes per topic for the built-in backends (and any named in CONVSPEC_DOCS_BACKENDS)."""
    from convspec.conformance.session import Session

    names = ["numpy", "reference"] + [n for n in os.environ.get("CONVSPEC_DOCS_BACKENDS", "").split(",") if n]
    vectors = list(State.vectors.values())
    table: dict[str, dict[str, dict[str, int]]] = {}
    problems: dict[str, list] = {}
    for name in names:
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        problems[name] = []
        with Session.open(name, profile="strict") as session:
            results = list(session.results(vectors))
        for result in results:
            topic = State.vectors[result.vector_id].topic
            counts[topic][str(result.outcome)] += 1
            if result.outcome.is_problem:
                problems[name].append(result)
        table[name] = counts
    lines = ["# Conformance matrix", "",
             "<!-- generated by docs/hooks/convspec_docs.py by running the corpus; do not edit -->", "",
             "The whole corpus run against the built-in backends under the `strict` profile, at the "
             "time this site was built: for each topic file, how many vectors passed of how many ran. "
             "`numpy` is a direct loop over the kernel taps written from the formula; `reference` is "
             "the reference itself. Reproduce a column with `convspec run --backend NAME`.", "",
             "| topic | vectors | " + " | ".join(f"`{n}`" for n in names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    for topic in sorted(State.by_topic):
        cells = []
        for name in names:
            c = table[name][topic]
            ran = sum(c.values())
            other = ", ".join(f"{k} {n}" for k, n in sorted(c.items()) if k != "pass")
            cells.append(f"{c.get('pass', 0)}/{ran}" + (f" ({other})" if other else ""))
        lines.append(f"| [{topic}](../catalogue/{topic}.md) | {len(State.by_topic[topic])} | "
                     + " | ".join(cells) + " |")
    lines.append("")
    for name in names:
        if problems[name]:
            lines += [f"## Problems of `{name}`", ""] + [
                f"- `{r.vector_id}`: {r.outcome} — {md(r.reason)}" for r in problems[name]] + [""]
    return "\n".join(lines)
