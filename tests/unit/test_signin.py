"""Where sign-in sends a person next: a path on this site in URL characters, nothing else."""

from __future__ import annotations

import pytest

from chalicelib.flows.signin import safe_next


@pytest.mark.parametrize(
    "path", ["/me", "/incidents/i123?at=high-0", "/stories/%2Fx", "/inbox?q=refund&sentiment=negative"]
)
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert safe_next(path) == path


@pytest.mark.parametrize(
    "path",
    ["//evil.example", "/\\evil.example", "https://evil.example/", "/me\n", "/x\r\nSet-Cookie: a=b", "/a b", "", "me"],
)
def test_anything_else_goes_to_the_account_page(path: str) -> None:
    assert safe_next(path) == "/me"
