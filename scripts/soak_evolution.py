"""Soak the schema-evolution property test: N sequences per database, random seed.

    python scripts/soak_evolution.py --dialect postgresql --sequences 300 --steps 6
    python scripts/soak_evolution.py --dialect sqlite --seed 123456   # reproduce a run

Each sequence is a fresh database, a starting schema and ``--steps`` drawn changes, each
checked both ways (see tests/evolution/machine.py).  The seed is printed first; a failure
prints the shrunk example's steps, script and catalog difference, and the command that
runs it again.  Databases: ALEMBIC_GUARD_PG (host:port, user postgres) and
ALEMBIC_GUARD_MYSQL_URL, as for the tests (``source scripts/setup-databases.sh``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.evolution.machine import STATS, Server, run_sequence


def server_for(dialect: str) -> Server:
    if dialect == "postgresql":
        address = os.environ.get("ALEMBIC_GUARD_PG", "127.0.0.1:5432")
        return Server(dialect, f"postgresql+psycopg://postgres@{address}/postgres")
    if dialect == "mariadb":
        url = os.environ.get("ALEMBIC_GUARD_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")
        return Server(dialect, url.rstrip("/") + "/mysql")
    return Server("sqlite", "sqlite://")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=("postgresql", "mariadb", "sqlite"), required=True)
    parser.add_argument("--sequences", type=int, default=300)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    run_seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    print(f"seed {run_seed}: {args.sequences} sequences of {args.steps} steps on {args.dialect}")
    server = server_for(args.dialect)

    @seed(run_seed)
    @settings(
        max_examples=args.sequences,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(data=st.data())
    def sequences(data: st.DataObject) -> None:
        run_sequence(server, data, args.steps)

    started = time.monotonic()
    failed = False
    try:
        sequences()
    except Exception as error:  # the shrunk example's failure
        failed = True
        found = list(getattr(error, "exceptions", [error]))
        for number, failure in enumerate(found, 1):
            print(f"FAILED ({number} of {len(found)}, shrunk example below)\n{failure}")
        print(
            f"reproduce: python scripts/soak_evolution.py --dialect {args.dialect} "
            f"--sequences {args.sequences} --steps {args.steps} --seed {run_seed}"
        )
    elapsed = time.monotonic() - started
    print(
        f"{args.dialect}: {STATS['long sequences']} sequences of {args.steps} steps completed, "
        f"{STATS['steps']} steps in all ({STATS['steps with a second schema']} with a table in "
        f"the second schema), {'a failure' if failed else '0 failures'}, "
        f"{elapsed:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
