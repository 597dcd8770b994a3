"""`psytrial token issue/revoke`: a token shown once, stored hashed, revocable."""

from __future__ import annotations

import io
import sys

import pytest

from psytrial.cli.main import main
from psytrial.web.accounts.models import ApiToken, hash_token
from psytrial.web.trial.actions import create_user


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.mark.django_db(transaction=True)
def test_it_issues_and_revokes_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    create_user("rita", "a long enough passphrase 9")
    code, out, err = run(["token", "issue", "rita", "--name", "exports"], capsys)
    assert code == 0 and "shown once" in err
    text = out.strip()
    row = ApiToken.objects.get(user__username="rita")
    assert row.token_hash == hash_token(text) and text not in row.token_hash
    code, out, _ = run(["token", "revoke", "rita", "--prefix", text[3:11]], capsys)
    assert code == 0 and "revoked" in out
    assert ApiToken.objects.get(pk=row.pk).revoked


@pytest.mark.django_db(transaction=True)
def test_it_refuses_an_unknown_user(capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(["token", "issue", "nobody", "--name", "x"], capsys)
    assert code == 2 and "expected an active user, got 'nobody'" in err
