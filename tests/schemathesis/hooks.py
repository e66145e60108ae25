"""Schemathesis checks specific to pmhc's API, loaded through SCHEMATHESIS_HOOKS by
crates/pmhc-cli/tests/schemathesis.rs (select them with `--checks`, by function name)."""

from urllib.parse import urljoin

import requests
import schemathesis


@schemathesis.check
def created_location_resolves(ctx, response, case):
    """A 201 names the new resource in `Location`: a GET of it, with the same credentials,
    answers 200 with the same record (the OpenAPI document cannot say this)."""
    if response.status_code != 201:
        return None
    locations = response.headers.get("location") or []
    if not locations:
        raise AssertionError("201 Created without a Location header")
    location = locations[0]
    created = response.json()
    url = urljoin(response.request.url, location)
    headers = {k: v for k, v in response.request.headers.items() if k.lower() == "authorization"}
    got = requests.get(url, headers=headers, timeout=60, allow_redirects=False)
    if got.status_code != 200:
        raise AssertionError(
            f"Location `{location}` of the created resource does not resolve: GET answered "
            f"{got.status_code}: {got.text[:300]}"
        )
    if isinstance(created, dict):
        body = got.json()
        for key in ("source_system", "source_key"):
            if key in created and body.get(key) != created[key]:
                raise AssertionError(
                    f"Location `{location}` names another record: {key} is {body.get(key)!r}, "
                    f"the created one has {created[key]!r}"
                )
    return None
