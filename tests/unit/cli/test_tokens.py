"""``strongroom admin token list`` and ``revoke``: a table on a terminal, tab-separated lines
otherwise, and never a token's secret."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from strongroom.cli.admin import admin
from tests.unit.cli.indexes import index_with_users


def _index_with_tokens(tmp_path: Path) -> tuple[Path, list[str]]:
    """An index where 'alice' holds two tokens (their secrets returned) and 'bob' none."""
    data = index_with_users(tmp_path, "alice", "bob")
    runner = CliRunner()
    secrets = [
        runner.invoke(admin, ["token", "create", "--user", "alice", *extra,
                              "--data-dir", str(data)]).stdout.strip()
        for extra in (["--description", "laptop\tand [bold]ci[/]"],
                      ["--expires-in", "30d", "--read-only"])
    ]
    return data, secrets


def _list(data: Path, username: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(admin, ["token", "list", "--user", username,
                                             "--data-dir", str(data)])


def test_without_a_terminal_each_token_is_one_tab_separated_line(tmp_path: Path) -> None:
    data, secrets = _index_with_tokens(tmp_path)
    listed = _list(data, "alice")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert [line.split("\t")[1:3] for line in lines] == [["laptop and [bold]ci[/]", "all projects"],
                                                         ["-", "all projects"]]
    assert [line.split("\t")[3] for line in lines] == ["upload", "read-only"]
    assert [line.split("\t")[6] for line in lines] == ["never", "never"]
    assert lines[0].split("\t")[5] == "never"
    assert lines[1].split("\t")[5].endswith(" UTC")
    assert not any(secret in listed.output for secret in secrets)


def test_on_a_terminal_the_tokens_are_a_table(tmp_path: Path) -> None:
    data, secrets = _index_with_tokens(tmp_path)
    listed = _list(data, "alice", env={"TTY_COMPATIBLE": "1", "COLUMNS": "200", "NO_COLOR": "1"})
    assert listed.exit_code == 0, listed.output
    assert "API tokens of alice" in listed.stdout
    assert "last used" in listed.stdout
    assert "laptop and [bold]ci[/]" in listed.stdout  # shown as written, not as markup
    assert "\t" not in listed.stdout
    assert not any(secret in listed.output for secret in secrets)


def test_a_user_without_tokens_is_told_so(tmp_path: Path) -> None:
    data, _secrets = _index_with_tokens(tmp_path)
    listed = _list(data, "bob")
    assert listed.exit_code == 0
    assert listed.stdout == ""
    assert listed.stderr == "no tokens for user 'bob'\n"


def test_revoke_says_what_it_revoked(tmp_path: Path) -> None:
    data, _secrets = _index_with_tokens(tmp_path)
    runner = CliRunner()
    listed = _list(data, "alice")
    first, second = (line.split("\t")[0] for line in listed.stdout.splitlines())
    for token_id, description in ((first, "description 'laptop\\tand [bold]ci[/]'"),
                                  (second, "no description")):
        revoked = runner.invoke(admin, ["token", "revoke", token_id, "--data-dir", str(data)])
        assert revoked.exit_code == 0, revoked.output
        assert revoked.stderr == f"revoked token {token_id} of user alice ({description})\n"
    assert _list(data, "alice").stdout == ""
