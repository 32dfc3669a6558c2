"""Property: whatever body and headers arrive, the receiver never answers 500, and nothing
that is not correctly signed is ever stored."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kombo_support import SECRET, Client

from syncwatch.db import Store
from syncwatch.kombo.events import KNOWN_TYPES, sign

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_times = st.sampled_from(
    ["2026-11-26T10:00:00Z", "2026-11-26T10:00:00", "not a time", "9999-12-31T23:59:59Z", ""]
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=12) | _json_values,
        "integration_id": st.text(max_size=12) | _json_values,
        "tool": st.text(max_size=8),
        "integration_tool": st.text(max_size=8),
        "category": st.sampled_from(["HRIS", "ATS", "LMS", "nope"]) | _json_values,
        "integration_category": st.sampled_from(["HRIS", "ATS", "LMS", "nope"]),
        "end_user": st.fixed_dictionaries({"organization_name": st.text(max_size=10)})
        | _json_values,
        "state": st.sampled_from(["ACTIVE", "INVALID", "INACTIVE", "BROKEN"]),
        "setup_status": st.sampled_from(["INCOMPLETE", "COMPLETED", "X"]) | st.none(),
        "qa_status": st.sampled_from(["PENDING", "FAILED", "PASSED", "X"]) | st.none(),
        "updated_at": _times,
        "deleted_at": _times,
        "sync_id": st.text(max_size=8),
        "sync_state": st.sampled_from(["SUCCEEDED", "FAILED", "RUNNING", "WEIRD"]),
        "sync_started_at": _times,
        "sync_ended_at": _times,
        "log_url": st.text(max_size=30) | _json_values,
        "change": st.sampled_from(["raised", "resolved", "other"]),
        "issue": _json_values,
        "integration": _json_values,
    },
)
_events = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=30) | _json_values,
        "type": st.sampled_from([*KNOWN_TYPES, "data-changed", ""]) | _json_values,
        "data": _fields | _json_values,
    },
)


def _encode(doc: Any) -> bytes:
    return json.dumps(doc).encode()


_bodies = st.binary(max_size=300) | _events.map(_encode) | _json_values.map(_encode)
_headers = st.dictionaries(
    st.sampled_from(["X-Kombo-Signature", "Content-Type", "X-Other", "Content-Encoding"]),
    # Printable ASCII without surrounding blanks: what an HTTP client lets through.
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=50).map(str.strip),
    max_size=3,
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=_bodies, headers=_headers, signed=st.sampled_from(["valid", "wrong", "as given"]))
def test_random_requests_never_500_and_never_store_unsigned(
    receiver: Client, store: Store, body: bytes, headers: dict[str, str], signed: str
) -> None:
    sent = dict(headers)
    if signed == "valid":
        sent["X-Kombo-Signature"] = sign(SECRET, body)
    elif signed == "wrong":
        sent["X-Kombo-Signature"] = sign(b"not the secret", body)
    before = receiver.stored()
    resp = receiver.post(body, secret=None, headers=sent)
    assert resp.status_code != 500
    assert resp.status_code in (200, 400, 401), resp.text
    after = receiver.stored()
    correctly_signed = sent.get("X-Kombo-Signature", "").strip().rstrip("=") == sign(SECRET, body)
    if not correctly_signed:
        assert resp.status_code == 401
        assert after == before
    if resp.status_code != 200:
        assert after == before
    else:
        assert json.loads(body)["id"] in after
