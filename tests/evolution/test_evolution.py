"""The schema-evolution property test in CI: a bounded, derandomized budget per database
(the soak runner, ``scripts/soak_evolution.py``, runs hundreds of sequences with a random
seed).  Each example is a fresh database, a starting schema and STEPS drawn changes;
hypothesis shrinks a failing one to the fewest, simplest changes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.evolution.machine import Server, run_sequence

#: sequences per database in CI, each of STEPS changes after its starting schema
EXAMPLES = 3
STEPS = 6

BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # no "explain" phase: it traces every line of a failing example, minutes per run
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)


def test_schema_evolution_runs_both_ways(dialect):
    server = Server(dialect.name, dialect.url)

    @BOUNDED
    @given(data=st.data())
    def sequence(data: Any) -> None:
        run_sequence(server, data, STEPS)

    sequence()
