"""Scenario files (TOML) into a validated, immutable :class:`Scenario`.

Scenario files are data: read with ``tomllib`` and validated by pydantic with
unknown keys rejected. Every problem becomes one :class:`InputError` naming the
file, the key and what would be valid.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from abm.distributions import DISTRIBUTION_USAGE, Distribution, parse_distribution
from abm.errors import InputError
from abm.mechanism.theory import KAPPA_USAGE, parse_kappa, validate_shares
from abm.strategies import STRATEGY_USAGE, Strategy, parse_strategy
from abm.streams import MAX_SEED

MAX_PARTNERS = 1000
MAX_ROUNDS = 10_000_000
MAX_FILE_BYTES = 1_000_000
MAX_AGENT_ROWS = 20_000_000  # rounds x partners: the rows of agents.parquet, kept in memory
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
SLUG_USAGE = "1-64 letters, digits, '-' or '_', starting with a letter or digit"


def _check_slug(value: str, what: str) -> str:
    if not SLUG.match(value):
        raise ValueError(f"{value!r} is not a safe {what}|{SLUG_USAGE}")
    return value


def _check_spec(parser, usage: str, value: str) -> str:  # type: ignore[no-untyped-def]
    try:
        parser(value)
    except InputError as error:
        raise ValueError(f"{error.problem}|{error.valid or usage}") from None
    return value


class PartnerSpec(BaseModel):
    """One ``[[partners]]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str
    share: float = Field(ge=0.0, le=1.0)
    strategy: str = "truthful"
    belief: str | None = None

    _slug = field_validator("name")(lambda cls, value: _check_slug(value, "name"))

    @field_validator("share", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value!r} is not finite|a number in [0, 1]")
        return value

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, value: str) -> str:
        return _check_spec(parse_strategy, STRATEGY_USAGE, value)

    @field_validator("belief")
    @classmethod
    def _belief(cls, value: str | None) -> str | None:
        return None if value is None else _check_spec(parse_distribution, DISTRIBUTION_USAGE, value)


class Scenario(BaseModel):
    """A validated scenario (DESIGN.md, "Scenario file")."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str
    description: str = ""
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    rounds: int = Field(default=1000, ge=1, le=MAX_ROUNDS)
    values: str = "uniform"
    kappa: str | float = "equal"
    engine: Literal["mesa", "vectorized"] = "mesa"
    n: int | None = Field(default=None, ge=2, le=MAX_PARTNERS)
    partners: tuple[PartnerSpec, ...] = Field(default=(), strict=False)

    _slug = field_validator("name")(lambda cls, value: _check_slug(value, "folder name"))

    @field_validator("description")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 2000:
            raise ValueError("is longer than 2000 characters|a short description")
        return value

    @field_validator("values")
    @classmethod
    def _values(cls, value: str) -> str:
        return _check_spec(parse_distribution, DISTRIBUTION_USAGE, value)

    @field_validator("kappa", mode="before")
    @classmethod
    def _kappa(cls, value: Any) -> Any:
        try:
            parsed = parse_kappa(value)
        except InputError as error:
            raise ValueError(f"{error.problem}|{KAPPA_USAGE}") from None
        return parsed

    @model_validator(mode="after")
    def _partners(self) -> Scenario:
        if self.n is None and not self.partners:
            raise ValueError("give n = N or [[partners]] tables|n >= 2, or at least two [[partners]]|n")
        if self.partners:
            count = len(self.partners)
            if count < 2 or count > MAX_PARTNERS:
                raise ValueError(f"{count} partners given|2 to {MAX_PARTNERS} [[partners]] tables|partners")
            if self.n is not None and self.n != count:
                raise ValueError(f"n = {self.n} but {count} [[partners]] tables|n equal to the number of partners|n")
            names = [p.name for p in self.partners]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"duplicate partner name {duplicates[0]!r}|distinct names|partners.name")
            try:
                validate_shares([p.share for p in self.partners], count)
            except InputError as error:
                raise ValueError(f"{error.problem}|{error.valid}|partners.share") from None
        rows = self.rounds * (len(self.partners) or self.n or 0)
        if rows > MAX_AGENT_ROWS:
            raise ValueError(
                f"rounds x partners = {rows:,} is over the limit of {MAX_AGENT_ROWS:,} logged rows"
                f"|fewer rounds or partners (rounds x partners <= {MAX_AGENT_ROWS:,})|rounds"
            )
        return self

    @property
    def partner_specs(self) -> tuple[PartnerSpec, ...]:
        """The partners, expanding ``n = N`` into N truthful partners with equal shares."""
        if self.partners:
            return self.partners
        assert self.n is not None
        width = len(str(self.n))
        return tuple(
            PartnerSpec.model_construct(
                name=f"p{i + 1:0{width}d}", share=1.0 / self.n, strategy="truthful", belief=None
            )
            for i in range(self.n)
        )

    @property
    def size(self) -> int:
        return len(self.partner_specs)

    @cached_property
    def distribution(self) -> Distribution:
        return parse_distribution(self.values)

    @cached_property
    def strategies(self) -> tuple[Strategy, ...]:
        return tuple(parse_strategy(p.strategy) for p in self.partner_specs)

    @cached_property
    def beliefs(self) -> tuple[Distribution, ...]:
        return tuple(
            self.distribution if p.belief is None else parse_distribution(p.belief) for p in self.partner_specs
        )

    @property
    def shares(self) -> tuple[float, ...]:
        return tuple(p.share for p in self.partner_specs)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.partner_specs)

    def with_overrides(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced, validated again (CLI ``--rounds``, ``--seed``)."""
        data = self.model_dump()
        data.update({key: value for key, value in changes.items() if value is not None})
        return scenario_from_dict(data, "command line")

    def to_toml(self) -> str:
        """The scenario as run, as TOML text (written next to the results)."""
        lines = [
            f"name = {_toml_str(self.name)}",
            f"description = {_toml_str(self.description)}",
            f"seed = {self.seed}",
            f"rounds = {self.rounds}",
            f"values = {_toml_str(self.values)}",
            f"kappa = {_toml_str(self.kappa) if isinstance(self.kappa, str) else repr(float(self.kappa))}",
            f"engine = {_toml_str(self.engine)}",
        ]
        for partner in self.partner_specs:
            lines += ["", "[[partners]]", f"name = {_toml_str(partner.name)}", f"share = {partner.share!r}"]
            lines.append(f"strategy = {_toml_str(partner.strategy)}")
            if partner.belief is not None:
                lines.append(f"belief = {_toml_str(partner.belief)}")
        return "\n".join(lines) + "\n"


def _toml_str(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


_FIELDS = {
    (): list(Scenario.model_fields),
    ("partners",): list(PartnerSpec.model_fields),
}


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _explain(error: ValidationError, source: str) -> InputError:
    """The first pydantic error as one line: key, problem, what is valid."""
    errors = error.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = tuple(first["loc"])
    kind = first["type"]
    message = first["msg"]
    key = _location(loc) or None
    if kind == "extra_forbidden":
        parent = tuple(p for p in loc[:-1] if not isinstance(p, int))
        known = _FIELDS.get(parent, [])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        problem = f"unknown key {loc[-1]!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        return InputError(problem, key=_location(loc[:-1]) or None, source=source, valid=", ".join(known))
    if kind == "missing":
        return InputError("required key is missing", key=key, source=source)
    if kind in ("tuple_type", "list_type"):
        return InputError("should be an array of tables", key=key, source=source, valid="[[partners]] tables")
    if message.startswith("Value error, "):
        problem, valid, model_key = ([*message.removeprefix("Value error, ").split("|"), "", ""])[:3]
        return InputError(problem, key=key or model_key or None, source=source, valid=valid or None)
    received = first.get("input")
    shown = repr(received) if not isinstance(received, dict) else "a table"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InputError(f"{message.rstrip('.')}; got {shown}", key=key, source=source)


def scenario_from_dict(data: dict[str, Any], source: str) -> Scenario:
    """Validate a parsed document; InputError naming ``source`` on any problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise _explain(error, source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise InputError (one line) on any problem."""
    file = Path(path)
    source = str(path)
    if not file.exists():
        raise InputError("file not found", source=source, valid="a path to a .toml scenario file")
    if not file.is_file():
        raise InputError("not a regular file", source=source, valid="a path to a .toml scenario file")
    raw = file.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"file is {len(raw)} bytes, over the limit of {MAX_FILE_BYTES}", source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source, valid="a TOML scenario file") from None
    if not text.strip():
        raise InputError("file is empty", source=source, valid="a TOML scenario file with name and n or [[partners]]")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"TOML syntax error: {error}", source=source) from None
    return scenario_from_dict(data, source)
