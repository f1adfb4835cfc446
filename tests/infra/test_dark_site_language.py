"""The dark site's CloudFront Function (infra/cdk/dark_site_language.js), run by node as
CloudFront runs it: a visitor asking for a page gets it in the shipped language their
Accept-Language prefers, and index.html (the default's) otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from infra.cdk.stack import dark_site_language_code


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the CloudFront Function's code")
@pytest.mark.parametrize(
    ("uri", "header", "served"),
    [
        ("/", "de-CH, en;q=0.5", "/index.de.html"),
        ("/index.html", "fr, es;q=0.8, ar;q=0.9", "/index.ar.html"),
        ("/regions/emea/", "pt-BR", "/regions/emea/index.html"),
        ("/drill/index.html", None, "/drill/index.html"),
        ("/", "de;q=0, es;q=0.2", "/index.es.html"),
        ("/statements.json", "de", "/statements.json"),
    ],
)
def test_the_cloudfront_function_serves_the_page_in_the_visitors_language(
    uri: str, header: str | None, served: str
) -> None:

    headers = {"accept-language": {"value": header}} if header is not None else {}
    event = {"request": {"uri": uri, "headers": headers}}
    script = dark_site_language_code() + f"\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=30)
    assert json.loads(done.stdout)["uri"] == served
