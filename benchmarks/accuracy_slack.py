"""How close correct implementations come to the accuracy bound: the measured slack.

For each correct backend and each float dtype, the largest |got - expected| / allowed over every
element of every vector of the corpus (1.0 would be exactly at the bound). Run:

    python benchmarks/accuracy_slack.py [--backend NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from convspec.conformance import Backend, load_vectors
from convspec.conformance.outcomes import Outcome
from convspec.conformance.session import Session

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "correct"))
from summation_orders import ORDERS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", default=[],
                        help="also measure this backend (name or module:callable)")
    args = parser.parse_args()
    backends = ["numpy"] + [Backend(name=f"numpy-{k}", implementation=f) for k, f in ORDERS.items()]
    backends += args.backend
    vectors = [v for v in load_vectors() if v.dtype.startswith(("float", "bfloat"))]
    print(f"{'backend':<18} {'dtype':<9} {'vectors':>7} {'max error / bound':>18}  worst vector")
    for backend in backends:
        worst: dict[str, tuple[float, str]] = defaultdict(lambda: (0.0, "-"))
        counts: dict[str, int] = defaultdict(int)
        with Session.open(backend, expected_failures="none") as session:
            results = list(session.results(vectors))
        for vector, result in zip(vectors, results, strict=True):
            if result.outcome is not Outcome.PASS or result.worst is None:
                continue
            counts[vector.dtype] += 1
            if result.worst.ratio > worst[vector.dtype][0]:
                worst[vector.dtype] = (result.worst.ratio, vector.id)
        for dtype in sorted(counts):
            ratio, vid = worst[dtype]
            print(f"{session.backend.name:<18} {dtype:<9} {counts[dtype]:>7} {ratio:>18.3g}  {vid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
