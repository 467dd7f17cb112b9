"""A third-party package adds a backend with a few lines of pyproject: an entry point in the
group convspec.backends. Here a fake installed distribution stands in for it."""

import sys
import textwrap

from convspec.conformance.backends import installed, resolve
from convspec.conformance.cli import main


def _fake_distribution(root):
    (root / "acme_conv.py").write_text(textwrap.dedent("""
        from convspec.conformance import Backend
        from convspec.conformance.backends.numpy import conv

        backend = Backend(name="acme", version="1.2.3", implementation=conv, description="Acme's convolution",
                          dtypes=frozenset({"float32"}))
    """))
    info = root / "acme_conv-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-conv\nVersion: 1.2.3\n")
    # what `[project.entry-points."convspec.backends"] acme = "acme_conv:backend"` installs
    (info / "entry_points.txt").write_text("[convspec.backends]\nacme = acme_conv:backend\n")


def test_an_installed_plugin_is_found_listed_and_run(tmp_path, monkeypatch, capsys):
    _fake_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_conv", raising=False)
    assert installed()["acme"] == "acme_conv:backend"
    backend = resolve("acme")
    assert (backend.name, backend.version) == ("acme", "1.2.3")
    main(["backends"])
    assert any(line.split()[:2] == ["acme", "1.2.3"] for line in capsys.readouterr().out.splitlines())
    assert main(["run", "--backend", "acme", "--isolation", "none", "-k", "notes/convolution"]) == 0
    out = capsys.readouterr().out
    assert "1 passed, 0 failed, 2 unsupported" in out


def test_a_plugin_cannot_shadow_a_builtin_name(tmp_path, monkeypatch):
    info = tmp_path / "evil-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[convspec.backends]\nnumpy = os:getcwd\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed()["numpy"] == "convspec.conformance.backends.numpy:backend"
