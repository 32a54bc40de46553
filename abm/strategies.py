"""Reporting strategies, parsed from SPEC strings (DESIGN.md, "Contracts").

Every strategy maps (values, role, uniforms) to reports clipped to [0, 1] and is
batch-first: ``values`` may hold one round or a million. Randomness enters only
through ``n_uniforms`` standard uniforms per report, drawn row by row from the
partner's own strategy stream, so the Mesa model (one row per round) and the
vectorized engine (many rows at once) consume the stream identically.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from abm.errors import InputError
from abm.spec import Call, expect_numbers, parse_spec

FloatArray = NDArray[np.float64]

STRATEGY_USAGE = (
    "truthful, shade(f) with f in [0,1], exaggerate(f) with f in [1,10], bias(b) with b in [-1,1], "
    "constant(c) with c in [0,1], noise(sd) with sd in (0,1], random, role(seller=SPEC,buyer=SPEC)"
)


class Strategy(ABC):
    """A report rule: ``report(values, is_seller, rng)`` returns reports in [0, 1]."""

    n_uniforms: int = 0
    deterministic: bool = True

    @property
    @abstractmethod
    def spec(self) -> str:
        """The canonical SPEC string of this strategy."""

    @abstractmethod
    def _raw(self, values: FloatArray, is_seller: NDArray[np.bool_], uniforms: FloatArray) -> FloatArray:
        """Unclipped reports; ``uniforms`` has shape values.shape + (n_uniforms,)."""

    def apply(self, values: ArrayLike, is_seller: ArrayLike, uniforms: ArrayLike | None = None) -> FloatArray:
        """Reports for given uniforms (shape ``values.shape + (n_uniforms,)``)."""
        theta = np.asarray(values, dtype=float)
        seller = np.broadcast_to(np.asarray(is_seller, dtype=bool), theta.shape)
        noise = np.zeros((*theta.shape, 0)) if uniforms is None else np.asarray(uniforms, dtype=float)
        return np.clip(self._raw(theta, seller, noise), 0.0, 1.0)

    def report(self, values: ArrayLike, is_seller: ArrayLike, rng: np.random.Generator) -> FloatArray:
        """Reports, drawing ``n_uniforms`` uniforms per value from ``rng`` (row-major)."""
        theta = np.asarray(values, dtype=float)
        uniforms = rng.random((*theta.shape, self.n_uniforms)) if self.n_uniforms else None
        return self.apply(theta, is_seller, uniforms)

    @property
    def is_truthful(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Strategy({self.spec!r})"


class Truthful(Strategy):
    """Report the true value (the dominant strategy of every Groves mechanism)."""

    @property
    def spec(self) -> str:
        return "truthful"

    @property
    def is_truthful(self) -> bool:
        return True

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        return values.copy()


@dataclass(frozen=True, repr=False)
class Scale(Strategy):
    """Report factor * value: ``shade(f)`` (f in [0, 1]) understates, ``exaggerate(f)`` (f in [1, 10]) overstates."""

    name: str
    factor: float

    @property
    def spec(self) -> str:
        return f"{self.name}({self.factor:g})"

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        return values * self.factor


@dataclass(frozen=True, repr=False)
class Bias(Strategy):
    """Report value + shift (shift in [-1, 1])."""

    shift: float

    @property
    def spec(self) -> str:
        return f"bias({self.shift:g})"

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        return values + self.shift


@dataclass(frozen=True, repr=False)
class Constant(Strategy):
    """Report the same number whatever the value."""

    level: float

    @property
    def spec(self) -> str:
        return f"constant({self.level:g})"

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        return np.full_like(values, self.level)


@dataclass(frozen=True, repr=False)
class Noise(Strategy):
    """Report value + sd * Z, Z standard normal (from one uniform by inverse cdf)."""

    sd: float
    n_uniforms = 1
    deterministic = False

    @property
    def spec(self) -> str:
        return f"noise({self.sd:g})"

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        return values + self.sd * special.ndtri(uniforms[..., 0])


class Random(Strategy):
    """Report a uniform draw, ignoring the value."""

    n_uniforms = 1
    deterministic = False

    @property
    def spec(self) -> str:
        return "random"

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        return uniforms[..., 0].copy()


class RoleDependent(Strategy):
    """One strategy when the lottery made this partner the seller, another as a buyer."""

    def __init__(self, seller: Strategy, buyer: Strategy) -> None:
        self.seller = seller
        self.buyer = buyer
        self.n_uniforms = seller.n_uniforms + buyer.n_uniforms
        self.deterministic = seller.deterministic and buyer.deterministic

    @property
    def spec(self) -> str:
        return f"role(seller={self.seller.spec},buyer={self.buyer.spec})"

    @property
    def is_truthful(self) -> bool:
        return self.seller.is_truthful and self.buyer.is_truthful

    def _raw(self, values, is_seller, uniforms):  # type: ignore[no-untyped-def]
        split = self.seller.n_uniforms
        as_seller = self.seller._raw(values, is_seller, uniforms[..., :split])
        as_buyer = self.buyer._raw(values, is_seller, uniforms[..., split:])
        return np.where(is_seller, as_seller, as_buyer)


def _one_number(call: Call, lo: float, hi: float, usage: str, *, open_lo: bool = False) -> float:
    (value,) = expect_numbers(call, 1, usage)
    if value < lo or value > hi or (open_lo and value == lo):
        interval = f"({lo:g}, {hi:g}]" if open_lo else f"[{lo:g}, {hi:g}]"
        raise InputError(f"{call.text!r} needs its argument in {interval}", valid=usage)
    return value


def _build(call: Call, allow_role: bool = True) -> Strategy:
    name = call.name
    if name == "truthful":
        expect_numbers(call, 0, "truthful")
        return Truthful()
    if name == "random":
        expect_numbers(call, 0, "random")
        return Random()
    if name == "shade":
        return Scale("shade", _one_number(call, 0.0, 1.0, "shade(f) with f in [0, 1]"))
    if name == "exaggerate":
        return Scale("exaggerate", _one_number(call, 1.0, 10.0, "exaggerate(f) with f in [1, 10]"))
    if name == "bias":
        return Bias(_one_number(call, -1.0, 1.0, "bias(b) with b in [-1, 1]"))
    if name == "constant":
        return Constant(_one_number(call, 0.0, 1.0, "constant(c) with c in [0, 1]"))
    if name == "noise":
        return Noise(_one_number(call, 0.0, 1.0, "noise(sd) with sd in (0, 1]", open_lo=True))
    if name == "role":
        usage = "role(seller=SPEC,buyer=SPEC)"
        if not allow_role:
            raise InputError(f"{call.text!r}: role(...) cannot be nested", valid=usage)
        unknown = set(call.kwargs) - {"seller", "buyer"}
        if call.args or unknown or not call.kwargs:
            raise InputError(f"{call.text!r} takes seller= and/or buyer= strategies", valid=usage)
        parts = {}
        for role in ("seller", "buyer"):
            sub = call.kwargs.get(role)
            if sub is None:
                parts[role] = Truthful()
            elif isinstance(sub, Call):
                parts[role] = _build(sub, allow_role=False)
            else:
                raise InputError(f"{call.text!r}: {role}= must be a strategy", valid=usage)
        return RoleDependent(parts["seller"], parts["buyer"])
    raise InputError(f"unknown strategy {name!r}", valid=STRATEGY_USAGE)


def parse_strategy(text: object) -> Strategy:
    """Build a :class:`Strategy` from a SPEC string (no ``eval``)."""
    return _build(parse_spec(text))
