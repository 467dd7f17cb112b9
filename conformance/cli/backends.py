"""`convspec backends`: the backends convspec can find, with versions."""

from __future__ import annotations

import argparse

from .usage import EXIT_OK


def add_parser(verbs: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = verbs.add_parser("backends", help="list the backends convspec can find, with versions")
    p.set_defaults(func=cmd_backends)
    return p


def cmd_backends(args: argparse.Namespace) -> int:
    from ..backends import BackendNotFound, installed, resolve

    for name, target in installed().items():
        try:
            b = resolve(name)
            print(f"{name:<12} {b.version or '-':<12} {b.description or target}")
        except (BackendNotFound, Exception) as exc:  # a broken plug-in must not hide the others
            print(f"{name:<12} {'unavailable':<12} {exc}")
    return EXIT_OK
