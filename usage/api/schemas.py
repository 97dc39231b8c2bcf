"""The OpenAPI shapes of the usage and billing endpoints (`/api/v1/connect/usage/...`,
`/api/v1/connect/subscriptions/...`), vendored.

`openapi_components.json` beside this module was cut from CloudBlue's official Connect OpenAPI
spec, API version 37.0 (`connect-openapi-v37.yml`, the test data of CloudBlue's OpenAPI client):
`usage.UsageFileDetail`, `usage.UsageRecord`, `usage.PartUsageFile`, `dp.Listing`,
`subscriptions.Subscription` and `subscriptions.BillingRequest` (the 200 of each path we serve),
as `Connect<Name>`, plus every component they `$ref`, transitively, under the spec's own names;
nothing else of the spec. Where the spec is wrong about what is served, the copy says what is
(`PATCHED` in the corrected property's description). Nothing reads the spec at runtime.
"""

from __future__ import annotations

from pathlib import Path

from channelhub.api.schema import VendoredSchemas

USAGE = VendoredSchemas(Path(__file__).with_name("openapi_components.json"))
