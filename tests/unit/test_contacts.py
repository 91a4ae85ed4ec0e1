"""R11/R7: a contact is kept in one form, whatever the input method typed."""

from __future__ import annotations

import pytest

from app.services.contacts import normalize_email


@pytest.mark.parametrize(
    "typed", ["ＷＡＮＧ２@example.com", "ＷＡＮＧ２＠ｅｘａｍｐｌｅ．ｃｏｍ", " Wang2@Example.com "]
)
def test_r7_a_full_width_email_becomes_the_same_login(typed):
    """Issue 16: ＷＡＮＧ２@example.com was stored as typed and became a second login."""
    assert normalize_email(typed) == "wang2@example.com"
