"""R9 when the app crashes: Textual's own crash report prints every local variable to stderr, and a
kiosk's systemd unit sends stderr to the journal, so an ID or password being typed would end up in
a log. Qinzi's report goes to the log file through its filter, without locals, and stderr gets the
same redacted traceback."""

from __future__ import annotations

import pytest

from app import logs
from app.factory import make_app
from app.identity import with_check_digit

TYPED_ID = with_check_digit("A17320508")
TYPED_PASSWORD = "Camphor-Tree-Lane-9"


async def test_r9_a_crash_is_logged_redacted_and_without_local_variables(
    services, tmp_path, capsys
):
    logs.setup_logging(services.settings.replace(log_dir=str(tmp_path)))
    app = make_app(services)

    def lookup() -> None:
        typed_password = TYPED_PASSWORD  # a local that Textual's report would print
        raise RuntimeError(f"no student {TYPED_ID} ({len(typed_password)})")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            app.call_later(lookup)
            await pilot.pause()
    logs.close_logging()
    log = (tmp_path / "qinzi.log").read_text()
    assert "ERROR qinzi: the app stopped on an unexpected error" in log
    assert "RuntimeError: no student A173****** (19)" in log
    shown = capsys.readouterr().err  # what the kiosk's unit would send to the journal
    assert "RuntimeError: no student A173******" in shown
    for secret in (TYPED_ID, TYPED_PASSWORD):
        assert secret not in log and secret not in shown
