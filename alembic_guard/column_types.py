"""Column types reduced to what the safety rules and the databases compare: a name
(``varchar``, ``numeric``, ``enum``, ...), a length or precision, a scale, enum values;
parsed from a type as a database spells it (``character varying(20)``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ALIASES = {
    "character varying": "varchar",
    "varchar2": "varchar",
    "nvarchar": "varchar",
    "character": "char",
    "bpchar": "char",
    "nchar": "char",
    "decimal": "numeric",
    "tinytext": "text",
    "mediumtext": "text",
    "longtext": "text",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "float8": "double precision",
    "double": "double precision",
    "double precision": "double precision",
    "float4": "real",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamp with time zone",
    "time without time zone": "time",
}
_MODIFIERS = {"zerofill"}
#: types whose "(n)" is a display width, not part of the type
_WIDTH_ONLY = {"integer", "bigint", "smallint", "tinyint", "mediumint"}
_TYPE = re.compile(r"^([^()]*?)(?:\((.*)\))?([^()]*)$", re.S)
_ENUM_VALUE = re.compile(r"'((?:[^']|'')*)'")


@dataclass(frozen=True)
class TypeSig:
    """A column type reduced to what the rules compare."""

    name: str  # normalized: varchar, char, text, numeric, enum, integer, ...
    text: str  # as written, for messages
    length: int | None = None  # varchar/char length, numeric precision
    scale: int | None = None  # numeric scale
    enums: tuple[str, ...] | None = None

    @property
    def is_string(self) -> bool:
        return self.name in ("varchar", "char", "text")


def parse_type(text: str) -> TypeSig | None:
    """A type as a database spells it: ``character varying(20)``, ``enum('a','b')``."""
    match = _TYPE.match(text.lower())
    if match is None:
        return None
    words = [w for w in (match.group(1) + " " + match.group(3)).split() if w not in _MODIFIERS]
    base, args = " ".join(words), match.group(2)
    if base in _ALIASES:
        name = _ALIASES[base]
    elif words and words[0] in _ALIASES:  # int unsigned -> integer unsigned
        name = " ".join([_ALIASES[words[0]], *words[1:]])
    else:
        name = base
    if name == "enum":
        values = tuple(v.replace("''", "'") for v in _ENUM_VALUE.findall(text))
        return TypeSig("enum", text, enums=values)
    numbers = [int(n) for n in re.findall(r"\d+", args or "")]
    if name.split(" ")[0] in _WIDTH_ONLY:
        numbers = []
    if name == "float":
        # FLOAT(p) is REAL up to 24 bits of precision and DOUBLE PRECISION above, on
        # PostgreSQL as on MySQL; a bare FLOAT is double precision on PostgreSQL
        precision = numbers[0] if numbers else 53
        return TypeSig("real" if precision <= 24 else "double precision", text)
    return TypeSig(
        name,
        text,
        length=numbers[0] if numbers else None,
        scale=numbers[1] if len(numbers) > 1 else None,
    )
