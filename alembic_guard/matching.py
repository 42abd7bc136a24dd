"""Rename matching: score every (dropped, added) pair, then take the best
one-to-one assignment.

A pair's score is a weighted sum of evidence in [0, 1]; a pair whose types
are not compatible scores 0 and is never proposed.  The assignment maximises
the total score over all pairs at once (SciPy's ``linear_sum_assignment``,
the Hungarian method), so a source is never claimed twice and the best global
pairing wins, not the first one found.  Scores are computed as NumPy
matrices, which keeps 1,000 x 1,000 candidates well under a second.

The weights are documented in docs/renames.md; tests/renames holds the
corpus that measures precision and recall at the default threshold.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix

#: evidence -> weight; the weights add up to 1
COLUMN_WEIGHTS: dict[str, float] = {
    "same type": 0.15,
    "same nullability": 0.05,
    "same server default": 0.10,
    "same key/unique/index/foreign-key membership": 0.20,
    "same position": 0.20,
    "name similarity": 0.30,
}
TABLE_WEIGHTS: dict[str, float] = {
    "shared column definitions": 0.50,
    "name similarity": 0.30,
    "same indexes and constraints": 0.20,
}


@dataclass(frozen=True)
class ColumnProfile:
    """What a column looks like, for comparing a dropped one with an added one."""

    name: str
    family: Hashable  # compatible types share a family; required to match
    type_key: Hashable  # equal when the types are the same
    nullable: bool
    default: Hashable
    membership: Hashable  # (primary key, unique, indexed, foreign key target)
    position: int


def _trigrams(name: str) -> set[str]:
    padded = f"  {name.lower()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def name_similarity(a: str, b: str) -> float:
    """How alike two names are, 0..1: over their letter trigrams, the mean of the
    Jaccard similarity and the overlap coefficient (so ``created_at`` and
    ``created_at_utc``, one inside the other, count as alike)."""
    left, right = _trigrams(a), _trigrams(b)
    if not left or not right:
        return 0.0
    shared = len(left & right)
    return (shared / len(left | right) + shared / min(len(left), len(right))) / 2


def _trigram_similarity(sources: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """:func:`name_similarity` for every pair, from one sparse matrix product."""
    vocabulary: dict[str, int] = {}

    def incidence(names: Sequence[str]) -> tuple[list[int], list[int]]:
        rows: list[int] = []
        cols: list[int] = []
        for row, name in enumerate(names):
            for gram in _trigrams(name):
                rows.append(row)
                cols.append(vocabulary.setdefault(gram, len(vocabulary)))
        return rows, cols

    s_rows, s_cols = incidence(sources)
    t_rows, t_cols = incidence(targets)
    width = max(len(vocabulary), 1)
    s = csr_matrix((np.ones(len(s_rows)), (s_rows, s_cols)), shape=(len(sources), width))
    t = csr_matrix((np.ones(len(t_rows)), (t_rows, t_cols)), shape=(len(targets), width))
    shared = (s @ t.T).toarray()
    sizes_s = np.asarray(s.sum(axis=1)).reshape(-1, 1)
    sizes_t = np.asarray(t.sum(axis=1)).reshape(1, -1)
    union = sizes_s + sizes_t - shared
    smaller = np.minimum(sizes_s, sizes_t)
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    overlap = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    similarity: np.ndarray = (jaccard + overlap) / 2
    return similarity


def _codes(values: Sequence[Hashable], other: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    table: dict[Hashable, int] = {}
    left = np.array([table.setdefault(v, len(table)) for v in values], dtype=np.int64)
    right = np.array([table.setdefault(v, len(table)) for v in other], dtype=np.int64)
    return left, right


def _equal(values: Sequence[Hashable], other: Sequence[Hashable]) -> np.ndarray:
    left, right = _codes(values, other)
    same: np.ndarray = np.equal(left.reshape(-1, 1), right.reshape(1, -1))
    return same


def column_scores(
    dropped: Sequence[ColumnProfile],
    added: Sequence[ColumnProfile],
    same_type: np.ndarray | None = None,
) -> np.ndarray:
    """Score matrix (dropped x added); 0 where the types are not compatible.

    ``same_type`` (dropped x added booleans) overrides the comparison of
    ``type_key``: the caller may know better (Alembic's own type comparison).
    """
    if not dropped or not added:
        return np.zeros((len(dropped), len(added)))
    w = COLUMN_WEIGHTS
    positions_d = np.array([c.position for c in dropped]).reshape(-1, 1)
    positions_a = np.array([c.position for c in added]).reshape(1, -1)
    distance = np.abs(positions_d - positions_a)
    position = np.where(distance == 0, 1.0, np.where(distance == 1, 0.5, 0.0))
    names = _trigram_similarity([c.name for c in dropped], [c.name for c in added])
    score = (
        w["same type"]
        * (
            same_type
            if same_type is not None
            else _equal([c.type_key for c in dropped], [c.type_key for c in added])
        )
        + w["same nullability"] * _equal([c.nullable for c in dropped], [c.nullable for c in added])
        + w["same server default"]
        * _equal([c.default for c in dropped], [c.default for c in added])
        + w["same key/unique/index/foreign-key membership"]
        * _equal([c.membership for c in dropped], [c.membership for c in added])
        + w["same position"] * position
        + w["name similarity"] * names
    )
    compatible = _equal([c.family for c in dropped], [c.family for c in added])
    scores: np.ndarray = np.where(compatible, score, 0.0)
    return scores


def column_evidence(
    source: ColumnProfile, target: ColumnProfile, same_type: bool | None = None
) -> tuple[str, ...]:
    """The evidence for one pair, in words, for the generated script's comment."""
    evidence = []
    if same_type if same_type is not None else source.type_key == target.type_key:
        evidence.append("same type")
    else:
        evidence.append("compatible type")
    if source.nullable == target.nullable:
        evidence.append("same nullability")
    if source.default == target.default:
        evidence.append("same server default")
    if source.membership == target.membership:
        evidence.append("same key/index membership")
    if source.position == target.position:
        evidence.append(f"same position ({source.position + 1})")
    evidence.append(f"name similarity {name_similarity(source.name, target.name):.2f}")
    return tuple(evidence)


def assign(scores: np.ndarray, floor: float) -> list[tuple[int, int, float]]:
    """The one-to-one assignment with the largest total score over pairs >= ``floor``."""
    if scores.size == 0:
        return []
    useful = np.where(scores >= floor, scores, 0.0)
    rows, cols = linear_sum_assignment(useful, maximize=True)
    return [
        (int(r), int(c), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if scores[r, c] >= floor and useful[r, c] > 0
    ]


def table_name_similarity(a: str, b: str) -> float:
    """Table names are few, so the finer (and slower) difflib ratio can join the trigrams."""
    return max(name_similarity(a, b), SequenceMatcher(None, a.lower(), b.lower()).ratio())


def _jaccard(left: set[Any], right: set[Any]) -> float:
    union = left | right
    return len(left & right) / len(union) if union else 1.0


@dataclass(frozen=True)
class TableProfile:
    name: str
    columns: frozenset[tuple[str, Hashable]]  # (name, type family)
    keys: frozenset[Hashable]  # index / unique / foreign-key signatures by column names


def table_score(dropped: TableProfile, added: TableProfile) -> float:
    """Shared column definitions, name similarity and shared keys of two tables."""
    return (
        TABLE_WEIGHTS["shared column definitions"]
        * _jaccard(set(dropped.columns), set(added.columns))
        + TABLE_WEIGHTS["name similarity"] * table_name_similarity(dropped.name, added.name)
        + TABLE_WEIGHTS["same indexes and constraints"]
        * _jaccard(set(dropped.keys), set(added.keys))
    )
