"""The size limits: a long message is cut and says so; a headline is one short line."""

from __future__ import annotations

from syncwatch.limits import HEADLINE_LIMIT, MESSAGE_LIMIT, cap_message, headline


def test_a_message_within_the_limit_is_kept_whole() -> None:
    text = "x" * MESSAGE_LIMIT
    assert cap_message(text) == text


def test_a_long_message_is_cut_and_says_how_long_it_was() -> None:
    capped = cap_message("y" * 10_000_000)
    assert capped.startswith("y" * MESSAGE_LIMIT)
    assert capped.endswith("[cut by syncwatch: 10,000,000 characters, the first 65,536 kept]")
    assert len(capped) < MESSAGE_LIMIT + 100
    assert cap_message(capped) == capped


def test_a_headline_is_one_short_line() -> None:
    assert headline("Could not fetch\n  field   x") == "Could not fetch field x"
    long = headline("word " * 2_000_000)
    assert long is not None and len(long) == HEADLINE_LIMIT and long.endswith("…")
    assert headline(None) is None
    assert headline("a" * HEADLINE_LIMIT) == "a" * HEADLINE_LIMIT
