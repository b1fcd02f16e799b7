"""Checked numbers for argparse ``type=``: a number in range, or a message saying what is wrong."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)


def number_type(
    convert: Callable[[str], N], accept: Callable[[N], bool], not_a: str, refused: str
) -> Callable[[str], N]:
    """An argparse type: ``convert(text)`` (else "'<text>' <not_a>"), kept when ``accept``-ed
    (else ``refused`` formatted with ``{value}`` and ``{text}``)."""

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} {not_a}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(refused.format(value=value, text=text))
        return value

    return parse


positive_int = number_type(
    int, lambda v: v > 0, "is not a whole number", "{value} must be above zero"
)
non_negative_int = number_type(
    int, lambda v: v >= 0, "is not a whole number", "{value} must be zero or more"
)
non_negative_float = number_type(
    float,
    lambda v: 0 <= v < float("inf"),
    "is not a number",
    "{text} must be a finite number, zero or more",
)
