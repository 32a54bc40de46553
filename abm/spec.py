"""Parser for SPEC strings such as ``beta(2,5)`` or ``role(seller=shade(0.9),buyer=truthful)``.

A tiny recursive-descent parser: scenario files are data, never executed, so no
``eval``. Grammar::

    spec  := NAME [ "(" [arg ("," arg)*] ")" ]
    arg   := [NAME "="] value
    value := NUMBER | "[" NUMBER ("," NUMBER)* "]" | spec
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from abm.errors import InputError

MAX_SPEC_LENGTH = 500
MAX_DEPTH = 3

_TOKEN = re.compile(
    r"\s*(?:(?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[()\[\],=]))"
)


@dataclass(frozen=True)
class Call:
    """A parsed SPEC: a name with positional and keyword arguments."""

    name: str
    args: tuple[float | tuple[float, ...] | Call, ...] = ()
    kwargs: dict[str, float | tuple[float, ...] | Call] = field(default_factory=dict)
    text: str = ""


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped_end = len(text.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InputError(f"unexpected character {text[position:].strip()[:1]!r} in {text!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise InputError(f"{self.text!r} ends too early")
        if expected is not None and token[1] != expected:
            raise InputError(f"expected {expected!r} but found {token[1]!r} in {self.text!r}")
        self.index += 1
        return token

    def spec(self, depth: int) -> Call:
        if depth > MAX_DEPTH:
            raise InputError(f"{self.text!r} nests deeper than {MAX_DEPTH} levels")
        start = self.index
        kind, name = self.take()
        if kind != "name":
            raise InputError(f"expected a name but found {name!r} in {self.text!r}")
        args: list[float | tuple[float, ...] | Call] = []
        kwargs: dict[str, float | tuple[float, ...] | Call] = {}
        if self.peek() == ("punct", "("):
            self.take("(")
            if self.peek() != ("punct", ")"):
                while True:
                    self.argument(args, kwargs, depth)
                    if self.peek() == ("punct", ","):
                        self.take(",")
                        continue
                    break
            self.take(")")
        text = "".join(token for _, token in self.tokens[start : self.index])
        return Call(name.lower(), tuple(args), kwargs, text)

    def argument(
        self,
        args: list[float | tuple[float, ...] | Call],
        kwargs: dict[str, float | tuple[float, ...] | Call],
        depth: int,
    ) -> None:
        token = self.peek()
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if token is not None and token[0] == "name" and following == ("punct", "="):
            key = self.take()[1].lower()
            self.take("=")
            if key in kwargs:
                raise InputError(f"argument {key!r} given twice in {self.text!r}")
            kwargs[key] = self.value(depth)
            return
        if kwargs:
            raise InputError(f"positional argument after a keyword argument in {self.text!r}")
        args.append(self.value(depth))

    def value(self, depth: int) -> float | tuple[float, ...] | Call:
        token = self.peek()
        if token is None:
            raise InputError(f"{self.text!r} ends too early")
        if token[0] == "number":
            return self.number()
        if token == ("punct", "["):
            self.take("[")
            items = [self.number()]
            while self.peek() == ("punct", ","):
                self.take(",")
                items.append(self.number())
            self.take("]")
            return tuple(items)
        return self.spec(depth + 1)

    def number(self) -> float:
        kind, text = self.take()
        if kind != "number":
            raise InputError(f"expected a number but found {text!r} in {self.text!r}")
        value = float(text)
        if not math.isfinite(value):
            raise InputError(f"number {text!r} is not finite in {self.text!r}")
        return value


def parse_spec(text: object) -> Call:
    """Parse one SPEC string into a :class:`Call`; raise InputError if malformed."""
    if not isinstance(text, str):
        raise InputError(f"expected a SPEC string, got {type(text).__name__}")
    if not text.strip():
        raise InputError("empty SPEC string")
    if len(text) > MAX_SPEC_LENGTH:
        raise InputError(f"SPEC string is {len(text)} characters, over the limit of {MAX_SPEC_LENGTH}")
    parser = _Parser(text)
    call = parser.spec(0)
    if parser.peek() is not None:
        raise InputError(f"unexpected {parser.peek()[1]!r} after {call.text!r} in {text!r}")  # type: ignore[index]
    return call


def expect_numbers(call: Call, count: int | tuple[int, ...], usage: str) -> tuple[float, ...]:
    """Positional numeric arguments of ``call`` (exactly ``count`` of them)."""
    counts = (count,) if isinstance(count, int) else count
    if call.kwargs or len(call.args) not in counts:
        raise InputError(f"{call.text!r} takes {' or '.join(map(str, counts))} number(s)", valid=usage)
    if not all(isinstance(arg, float) for arg in call.args):
        raise InputError(f"{call.text!r} takes plain numbers", valid=usage)
    return tuple(float(arg) for arg in call.args)  # type: ignore[arg-type]
