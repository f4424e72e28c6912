import pytest

from strongroom.domain.indexurl import index_address
from strongroom.errors import InvalidInput


def test_credentials_are_taken_out_of_the_url_and_the_path_ends_in_a_slash() -> None:
    address = index_address("https://alice:s3cret@pypi.example.org:8443/simple")
    assert (str(address.url), address.credentials) == (
        "https://pypi.example.org:8443/simple/", ("alice", "s3cret"))


def test_a_token_takes_the_place_of_the_urls_password() -> None:
    address = index_address("http://alice:s3cret@127.0.0.1/", token="pypi-abc")
    assert (str(address.url), address.credentials) == (
        "http://127.0.0.1/", ("__token__", "pypi-abc"))


def test_no_credentials_means_none() -> None:
    assert index_address("http://127.0.0.1:8000").credentials is None


@pytest.mark.parametrize("text", ["ftp://alice:s3cret@example.org/", "/simple/", "http:///x/"])
def test_anything_but_an_http_url_with_a_host_is_refused_without_its_password(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        index_address(text, option="--index-url")
    assert "--index-url" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert "is not an http(s) URL" in str(caught.value)


def test_a_url_that_does_not_parse_is_refused_without_echoing_it() -> None:
    with pytest.raises(InvalidInput) as caught:
        index_address("http://alice:s3cret@example.org:port/")
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("--index is not a URL")
