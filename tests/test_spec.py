"""The SPEC parser: grammar, limits, and never evaluating code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from abm.errors import InputError
from abm.spec import MAX_SPEC_LENGTH, Call, parse_spec


def test_parses_names_numbers_lists_and_keywords() -> None:
    call = parse_spec("role(seller=exaggerate(1.3), buyer=shade(0.9))")
    assert call.name == "role"
    assert call.kwargs["seller"] == Call("exaggerate", (1.3,), {}, "exaggerate(1.3)")
    assert parse_spec("piecewise([0,0.1,1],[2,1e-1])").args == ((0.0, 0.1, 1.0), (2.0, 0.1))
    assert parse_spec("  uniform ").name == "uniform"
    assert parse_spec("bias(-0.1)").args == (-0.1,)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("beta(2,", "ends too early"),
        ("beta(2,5))", "unexpected"),
        ("beta(2;5)", "unexpected character"),
        ("__import__('os')", "unexpected character"),
        ("beta(1,", "ends too early"),
        ("beta(1e999,1)", "not finite"),
        ("role(seller=shade(1),seller=shade(1))", "given twice"),
        ("role(seller=shade(1),2)", "positional argument after"),
        ("a(b(c(d(e(1)))))", "nests deeper"),
        ("x" * (MAX_SPEC_LENGTH + 1), "over the limit"),
    ],
)
def test_malformed_specs_raise_one_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_spec(text)


def test_non_string_is_rejected() -> None:
    with pytest.raises(InputError, match="expected a SPEC string"):
        parse_spec(3)


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_input_error(text: str) -> None:
    try:
        parse_spec(text)
    except InputError as error:
        assert "\n" not in str(error)
