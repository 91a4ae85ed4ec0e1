"""Password hashes at rest (issue 9, point 5; R20, R23): Argon2id, at least OWASP's parameters
wherever settings are loaded, and a hash made with weaker parameters is replaced at the next
successful login."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters

from app import cli
from app.config import OWASP_ARGON2ID_MIN_KIB, Settings, argon2_floor_kib, load_settings
from app.errors import ConfigError, QinziError
from app.models import Account, Application, Teacher
from app.services import build_services
from tests.factories import TEACHER_PASSWORD, make_account, submit_application

EMAIL = "father@home.example"
GOOD = "lantern orchard velvet"
# OWASP Password Storage Cheat Sheet, Argon2id: equal-strength (memory KiB, passes), one lane.
OWASP_PAIRS = [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)]


def params_of(stored: str) -> tuple[Type, int, int, int]:
    p = extract_parameters(stored)
    return p.type, p.memory_cost, p.time_cost, p.parallelism


def test_r20_r23_every_stored_password_is_argon2id_with_the_configured_cost(
    services, roster, settings
):
    """Parents' and staff's hashes, and the seed's initial password hashed at submission."""
    make_account(services, roster, password=GOOD)
    [submitted] = submit_application(services, roster, ("chen",), "mother",
                                     email="mother@home.example", mobile="0922333444")  # fmt: skip
    stored = [
        Account.get(Account.email == EMAIL).password_hash,
        Teacher.get(Teacher.email == "lee@school.example").password_hash,
        Application.get(Application.number == submitted.number).initial_password_hash,
    ]
    expected = (Type.ID, settings.argon2_memory_kib, settings.argon2_time_cost,
                settings.argon2_parallelism)  # fmt: skip
    for hashed in stored:
        assert hashed.startswith("$argon2id$v=19$")
        assert params_of(hashed) == expected


def test_r20_the_shipped_parameters_meet_owasp_and_reach_the_hasher(tmp_path, keyring):
    """The defaults (64 MiB, 3 passes, 4 lanes) are above OWASP's pair for 3 passes, and they
    are what the services hash with."""
    defaults = Settings()
    assert defaults.argon2_memory_kib >= argon2_floor_kib(defaults.argon2_time_cost)
    assert (defaults.argon2_memory_kib, defaults.argon2_time_cost) == (65536, 3)
    settings = Settings(data_dir=tmp_path, db=str(tmp_path / "q.db"))
    services = build_services(settings, keyring=keyring)
    try:
        hashed = services.ctx.hasher.hash(GOOD)
    finally:
        services.close()
    assert params_of(hashed) == (Type.ID, 65536, 3, 4)
    assert sorted(OWASP_ARGON2ID_MIN_KIB.items()) == sorted((t, m) for m, t in OWASP_PAIRS)


@pytest.mark.parametrize(("memory", "passes"), OWASP_PAIRS)
def test_r20_each_owasp_pair_loads_and_less_memory_is_refused(tmp_path, capsys, memory, passes):
    """A config file or the environment cannot weaken the hashing below OWASP; the refusal
    names the key, the value and what is allowed, like every other bad setting (R26)."""
    path = tmp_path / "config.toml"
    path.write_text(f"[argon2]\nmemory_kib = {memory}\ntime_cost = {passes}\nparallelism = 1\n")
    loaded = load_settings(path, env={})
    assert (loaded.argon2_memory_kib, loaded.argon2_time_cost) == (memory, passes)
    path.write_text(f"[argon2]\nmemory_kib = {memory - 1}\ntime_cost = {passes}\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(path, env={})
    assert (refused.value.key, refused.value.params) == ("errors.config.bad_value", {
        "key": "argon2_memory_kib", "value": str(memory - 1),
        "allowed": f"≥ {memory} (argon2_time_cost = {passes})"})  # fmt: skip
    env = {"QINZI_ARGON2_MEMORY_KIB": str(memory - 1), "QINZI_ARGON2_TIME_COST": str(passes)}
    with pytest.raises(ConfigError):
        load_settings(env=env)
    # Start-up stops with the message instead of opening a kiosk with weak hashing.
    assert cli.main(["--lang", "en", "--config", str(path), "kiosk"]) == cli.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "argon2_memory_kib" in err and f"≥ {memory}" in err


def test_r20_more_passes_than_owasp_lists_still_need_seven_mib(tmp_path):
    assert argon2_floor_kib(12) == 7168
    with pytest.raises(ConfigError):
        load_settings(env={"QINZI_ARGON2_TIME_COST": "12", "QINZI_ARGON2_MEMORY_KIB": "4096"})
    assert load_settings(env={"QINZI_ARGON2_TIME_COST": "12"}).argon2_memory_kib == 65536


def test_settings_built_in_code_may_stay_cheap_for_tests(services):
    """The floor is a start-up check, not a property of Settings: the test suite hashes with
    1 MiB (tests/conftest.py) and only a loaded configuration is held to OWASP."""
    assert services.settings.argon2_memory_kib < argon2_floor_kib(1)


# --- rehash when the parameters rise ------------------------------------------------------------


def restart_with(services, settings, clock, keyring, **argon2):
    """The terminal restarted with a new configuration: same database, new hasher."""
    services.close()
    return build_services(settings.replace(**argon2), clock=clock, keyring=keyring)


STRONGER = {"argon2_time_cost": 2, "argon2_memory_kib": 2048, "argon2_parallelism": 2}


@pytest.mark.parametrize("kind", ["parent", "staff"])
def test_r20_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_login(
    services, roster, settings, clock, keyring, kind
):
    """R20: raising the parameters in the configuration upgrades each stored hash the next
    time its owner logs in with the right password; a wrong password changes nothing, and the
    password keeps working under the new hash."""
    if kind == "parent":
        make_account(services, roster, password=GOOD)
        email, password, model = EMAIL, GOOD, Account
    else:
        email, password, model = "lee@school.example", TEACHER_PASSWORD, Teacher

    def stored() -> str:
        return model.get(model.email == email).password_hash

    def login(svc, pw: str):
        method = svc.accounts.parent_login if kind == "parent" else svc.accounts.staff_login
        return method(email, pw)

    login(services, password)
    weak = stored()
    assert params_of(weak) == (Type.ID, 1024, 1, 1)
    raised = restart_with(services, settings, clock, keyring, **STRONGER)
    try:
        with pytest.raises(QinziError):
            login(raised, "not the password")
        assert stored() == weak
        login(raised, password)
        assert params_of(stored()) == (Type.ID, 2048, 2, 2)
        assert stored() != weak
        login(raised, password)  # the new hash opens the same door
        assert params_of(stored()) == (Type.ID, 2048, 2, 2)
    finally:
        raised.close()
