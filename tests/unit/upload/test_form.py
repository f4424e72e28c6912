"""The upload form: every field problem is reported, all at once."""

from __future__ import annotations

from strongroom.upload.form import parse_form

GOOD = {":action": ["file_upload"], "protocol_version": ["1"], "name": ["demo"],
        "version": ["1.0"], "filetype": ["bdist_wheel"], "pyversion": ["py3"],
        "sha256_digest": ["a" * 64]}


def test_good_form_parses() -> None:
    form, problems = parse_form(GOOD)
    assert problems == []
    assert form is not None
    assert (form.name, form.version, form.filetype, form.sha256_digest) == (
        "demo", "1.0", "bdist_wheel", "a" * 64)


def test_sdist_pyversion_defaults_to_source() -> None:
    form, _ = parse_form({**GOOD, "filetype": ["sdist"], "pyversion": []})
    assert form is not None
    assert form.pyversion == "source"


def test_every_problem_is_reported_at_once() -> None:
    bad = {":action": ["file_upload"], "protocol_version": ["2"], "name": ["-bad-"],
           "version": ["not a version"], "filetype": ["bdist_egg"]}
    form, problems = parse_form(bad)
    assert form is None
    fields = [p.field for p in problems]
    assert fields == ["protocol_version", "name", "version", "filetype", "digest"]


def test_unknown_action_stops_early() -> None:
    form, problems = parse_form({**GOOD, ":action": ["submit"]})
    assert form is None
    assert [str(p) for p in problems] == [":action: Unknown action 'submit': only 'file_upload'"]


def test_malformed_digests_are_named() -> None:
    _, problems = parse_form({**GOOD, "sha256_digest": ["xyz"], "blake2_256_digest": ["12"],
                              "md5_digest": ["???"]})
    assert [p.field for p in problems] == ["sha256_digest", "blake2_256_digest", "md5_digest"]


def test_unknown_placeholder_counts_as_absent() -> None:
    _, problems = parse_form({**GOOD, "version": ["UNKNOWN"]})
    assert [str(p) for p in problems] == ["version: This field is required."]
