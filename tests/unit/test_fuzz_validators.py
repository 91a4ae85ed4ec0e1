"""Issue 9, point 3: every validator of what people type, fuzzed with arbitrary text.

The property is the same everywhere: a validator returns a normal value or raises one of the
app's typed refusals, whose message exists in zh-TW and in English (R26); never any other
exception. Where it normalises, normalising twice changes nothing and a value it accepted is
accepted again as it is, so a stored value never fails its own check later."""

from __future__ import annotations

import contextlib
import math
import re
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given
from hypothesis import strategies as st

from app import text as free_text
from app.cli import number as cli_number
from app.clock import to_local
from app.config import Settings, _coerce, load_settings
from app.errors import ConfigError, InvalidInput
from app.identity import (
    check_id,
    id_digest,
    mask_contact,
    mask_email,
    mask_id,
    mask_mobile,
    mask_name,
    normalize_id,
    normalize_mobile,
)
from app.keys import Keyring
from app.models import Channel, Level, Relationship
from app.services.applications import _level, clean_name
from app.services.audit import parse_day
from app.services.contacts import normalize_contact, normalize_email, normalize_phone
from app.services.forms.qr import class_qr_text, parse_class_qr
from app.services.numbers import ALPHABET, parse_number
from app.services.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_common_rules,
    check_entries_match,
    check_not_default,
    contains_id,
    default_probes,
    normalize_password,
)
from app.services.reports import parse_status
from app.services.roster_csv import LEVEL_LABELS, parse_level, read_csv_text
from app.services.verification import normalize_code
from app.web import is_loopback
from tests.fuzz_strategies import (
    around,
    assert_typed,
    attempt,
    fuzz_settings,
    user_text,
)

VALID_IDS = ("A123456789", "F131104093", "AC01234567", "A800000014", "Y144766850")
EMAILS = ("father@home.example", "Cooc.123@Gmail.com", "吳@例子.台灣", "x@y.io")
MOBILES = ("0912345678", "+886912345678", "0912-345-678", "886912345678")
NUMBERS = ("QZ-7K3M-9PXA", "qz7k3m9pxa", "QZ-HZVF-YWQP")
KEYRING = Keyring(b"k" * 32)
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
DEFAULT_HASH = HASHER.hash("456789")
SETTINGS_FIELDS = [name for name in Settings.__dataclass_fields__]
FAST = fuzz_settings(100)


# --- ID numbers (R7, R9) -------------------------------------------------------------------


@FAST
@given(around(*VALID_IDS))
def test_r7_id_numbers_normalise_once_and_valid_ones_revalidate(raw):
    """R7: whatever is typed, the check answers with a verdict whose reason the kiosk can show
    (errors.id.*); a normalised valid ID is itself valid, and its mask hides the last six (R9)."""
    norm = normalize_id(raw)
    assert normalize_id(norm) == norm
    verdict = check_id(raw)
    if not verdict.ok:
        assert_typed(InvalidInput(f"errors.id.{verdict.reason}", field="student_id"))
        return
    assert re.fullmatch(r"[A-Z][A-Z0-9]\d{8}", verdict.normalized)
    again = check_id(verdict.normalized)
    assert again.ok and again.normalized == verdict.normalized and again.kind == verdict.kind
    assert mask_id(verdict.normalized) == verdict.normalized[:4] + "******"


# --- masking (R9) --------------------------------------------------------------------------


@FAST
@given(user_text())
def test_r9_masks_take_any_text(raw):
    """R9: masking runs on every screen and log line; it must not fail on any stored text."""
    for mask in (mask_name, mask_email, mask_mobile, mask_contact, mask_id):
        assert isinstance(mask(raw), str)
    name = raw.strip()
    if len(name) >= 3 and " " not in name:
        assert set(mask_name(name)[1:-1]) == {"*"}


# --- contacts (R11) ------------------------------------------------------------------------


@FAST
@given(around(*EMAILS))
def test_r11_email_normalises_once(raw):
    """R11: an e-mail is accepted and normalised, or refused with a catalog message; the
    normalised form is accepted unchanged (it is the login, compared as stored)."""
    email, error = attempt(normalize_email, raw)
    if error:
        assert error.field == "email"
        return
    assert normalize_email(email) == email
    assert len(email) <= 254
    assert not free_text.has_control(email)
    assert mask_email(email).endswith("@" + email.partition("@")[2])


@FAST
@given(around(*MOBILES))
def test_r11_mobile_normalises_once(raw):
    """R11: 09XXXXXXXX in any typing becomes +8869XXXXXXXX, which is accepted again."""
    mobile, error = attempt(normalize_phone, raw)
    if error:
        assert normalize_mobile(raw) is None or not raw.strip()
        return
    assert re.fullmatch(r"\+8869\d{8}", mobile)
    assert normalize_phone(mobile) == mobile == normalize_mobile(mobile)
    assert mask_mobile(mobile) == "09" + mobile[5:7] + "***" + mobile[-3:]


@FAST
@given(st.sampled_from([*Channel, "fax", "", "EMAIL"]), around(*EMAILS, *MOBILES))
def test_r11_contact_of_either_channel(channel, raw):
    value, error = attempt(normalize_contact, channel, raw)
    if error is None:
        assert normalize_contact(channel, value) == value


# --- names, relationship, level (R5, R6, R11) ----------------------------------------------


@FAST
@given(user_text())
def test_r11_names_are_cleaned_once(raw):
    """R11, R16: the name and the signature are compared after cleaning, so cleaning twice must
    change nothing, and free text with control characters is refused with its own message."""
    name = clean_name(raw)
    assert clean_name(name) == name
    assert name == name.strip() and "  " not in name
    checked, error = attempt(free_text.refuse_control, name, "name")
    if error:
        assert error.key == "errors.text.control" and error.field == "name"
    else:
        assert checked == name
        assert not any(unicodedata.category(ch) == "Cc" for ch in name)


@FAST
@given(st.one_of(user_text(), st.sampled_from([*Level, *LEVEL_LABELS, *Relationship])))
def test_r5_r6_levels_and_relationships_parse_or_refuse(raw):
    """R5, R6: a level or relationship is one of the listed codes or a typed refusal."""
    level, error = attempt(_level, raw)
    assert error or level in set(Level)
    parsed = parse_level(raw)
    if parsed is not None:
        assert parse_level(parsed.value) is parsed
    status, error = attempt(parse_status, raw)
    if error is None and status is not None:
        assert parse_status(status.value) is status


# --- passwords (R19, R20) ------------------------------------------------------------------


@FAST
@given(user_text(), st.one_of(st.just(None), user_text()), around(*EMAILS))
def test_r20_password_policy_answers_with_its_own_refusals(new, again, login):
    """R20: the policy refuses with a reason the parent can read, and a password it accepts
    is between 8 and 128 characters once normalised (what gets hashed)."""
    again = new if again is None else again
    assert normalize_password(normalize_password(new)) == normalize_password(new)
    _, error = attempt(check_entries_match, new, again)
    _, error = attempt(check_common_rules, new, login)
    if error is None:  # the service runs the costlier checks only on what passed these
        assert MIN_LENGTH <= len(normalize_password(new)) <= MAX_LENGTH
        assert contains_id(new, KEYRING, "0" * 64) is False
        assert default_probes(new)[0] == normalize_password(new)
        attempt(check_not_default, new, HASHER, [DEFAULT_HASH])


@FAST
@given(around("A123456789", "A123456789!good-words", "456789abcdefg"))
def test_r19_default_inside_a_typed_password_is_found(raw):
    """R19: the ID (R7) and the default, typed in any form, are found inside a password."""
    digest = id_digest(KEYRING, "A123456789")
    if "A123456789" in normalize_password(raw).upper():
        assert contains_id(raw, KEYRING, digest)
    _, error = attempt(check_not_default, raw, HASHER, [DEFAULT_HASH])
    if normalize_password(raw) == "456789":
        assert error is not None and error.key == "errors.password.is_default"


# --- codes and application numbers (R1, R31) -----------------------------------------------


@FAST
@given(around("123456", "１２３ ４５６", "12-34-56"))
def test_r1_typed_codes_normalise_once(raw):
    code = normalize_code(raw)
    assert normalize_code(code) == code


@FAST
@given(around(*NUMBERS))
def test_r31_application_numbers_parse_once(raw):
    """R31: what a person or a scanner typed is a canonical number or nothing."""
    number = parse_number(raw)
    if number is None:
        return
    assert re.fullmatch(rf"QZ-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", number)
    assert parse_number(number) == number


@FAST
@given(around("QZCLASS:E001:301", "qzclass:990101:%E5%BF%A0", "QZCLASS:J001:801"))
def test_class_letter_codes_parse_once(raw):
    """A class letter's QR, as a scanner types it, gives a school and class without control
    characters (they would reach a database lookup), and encodes back to the same pair."""
    parsed = parse_class_qr(raw)
    if parsed is None:
        return
    school, name = parsed
    assert not free_text.has_control(school) and not free_text.has_control(name)
    assert parse_class_qr(class_qr_text(school, name)) == parsed


# --- staff filters, the command line, the web launcher ------------------------------------


@FAST
@given(around("2026-09-01", "2026/9/1", "20260901", "0001-01-01", "9999-12-31"))
def test_audit_days_parse_or_refuse(raw):
    """R24: the audit log's day filter takes any typed text: a day or a catalog refusal."""
    day, error = attempt(parse_day, raw, "since")
    if error:
        assert error.field == "since"
        return
    if day is not None:
        typed = f"{to_local(day):%Y-%m-%d}"
        assert parse_day(typed, "since") == day


@FAST
@given(user_text())
def test_cli_numbers_and_hosts(raw):
    """argparse turns a ValueError into a usage message; anything else would be a traceback."""
    with contextlib.suppress(ValueError):
        assert cli_number(raw) >= 0
    assert isinstance(is_loopback(raw), bool)


# --- configuration -------------------------------------------------------------------------


def _finite_and_usable(settings: Settings) -> None:
    """What start-up accepted can be used: times fit a timedelta, numbers are finite and text
    holds no control characters (terminal_id lands in every audit row)."""
    for name, value in vars(settings).items():
        if isinstance(value, float):
            assert math.isfinite(value), name
        if isinstance(value, int) and not isinstance(value, bool):
            timedelta(minutes=value)
        if isinstance(value, str | Path):
            assert not free_text.has_control(str(value), allow_space=False), name


@FAST
@given(
    st.sampled_from([*SETTINGS_FIELDS, "no_such_setting"]),
    st.one_of(
        user_text(),
        around("1", "120", "true", "demo", "zh-TW", "smtp", "1e309", "nan", "-1", "99999999999"),
        st.integers(),
        st.floats(),
        st.booleans(),
    ),
)
def test_config_values_are_coerced_or_refused(name, raw):
    """A wrong value stops start-up with the setting's name and what is allowed (ConfigError);
    an accepted value is accepted again as written and can be used."""
    value, error = attempt(_coerce, name, raw)
    if error:
        assert isinstance(error, ConfigError)
        return
    if not isinstance(value, Path):
        assert _coerce(name, value) == value
    _finite_and_usable(Settings(**{name: value}))


@FAST
@given(st.dictionaries(st.sampled_from(["QINZI_MODE", "QINZI_TERMINAL", "QINZI_SMTP_TIMEOUT",
                                        "QINZI_CODE_TTL_MINUTES", "QINZI_SMTP_STARTTLS",
                                        "QINZI_DB", "QINZI_MAIL_FROM"]),
                       user_text().filter(lambda v: "\x00" not in v), max_size=3))  # fmt: skip
def test_config_environment_is_loaded_or_refused(env):
    """QINZI_* variables (the OS refuses NUL in them, so none is sent)."""
    loaded, error = attempt(load_settings, None, env)
    if error is None:
        _finite_and_usable(loaded)


CONFIG_FILES = ('mode = "demo"\n', "[smtp]\nport = 25\n", "terminal_id = 'k'\n")


@FAST
@given(st.one_of(user_text(), st.binary(max_size=200), around(*CONFIG_FILES)))
def test_config_file_is_loaded_or_refused(tmp_path_factory, content):
    """A config file of any content: Settings, or a ConfigError naming the file."""
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    loaded, error = attempt(load_settings, path, {})
    if error is None:
        _finite_and_usable(loaded)


# --- roster file encoding ------------------------------------------------------------------


@FAST
@given(st.one_of(st.binary(max_size=300), user_text().map(lambda s: s.encode("utf-8"))))
def test_roster_file_bytes_are_read_or_refused(tmp_path_factory, content):
    """A roster file is UTF-8 text, or UTF-16 with its BOM (Excel's "Unicode text"), or refused
    with an encoding message, Big5 named as such (issue 14); never garbled."""
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    path.write_bytes(content)
    text, error = attempt(read_csv_text, path)
    if error:
        assert error.key in {
            "errors.roster.encoding",
            "errors.roster.encoding_big5",
            "errors.roster.encoding_utf16",
        }
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        assert text == content.decode("utf-16")
    else:
        assert text.encode("utf-8") in (content, content.removeprefix(b"\xef\xbb\xbf"))


@pytest.mark.parametrize("key", ["errors.text.control"])
def test_r26_control_character_refusal_reads_in_both_languages(key):
    assert_typed(InvalidInput(key, field="name"))
