"""The OpenAPI shapes of the Connect endpoints (`/api/v1/connect/...`), vendored.

`openapi_components.json` beside this module was cut from CloudBlue's official Connect OpenAPI
spec, API version 37.0 (`connect-openapi-v37.yml`, the test data of CloudBlue's OpenAPI client):
the 200 schema of each path we serve (`/requests/{id}`' inline one as `ConnectRequest`;
`dp.Subscription` as `ConnectAsset`, `dp.TierConfiguration`, `dp.TierConfigRequestRead`,
`dp.TierAccountDetail`, `dp.ProductVersion`, `dp.ProductTemplates`, `dp.Marketplace`, `dp.Hub`,
`conversations.Conversation` as `Connect<Name>`) plus every component they `$ref`,
transitively, under the spec's own names; nothing else of the spec. Where the spec is wrong
about what Connect (and so our mirror) sends, the copy says what is served instead
(`PATCHED` in the description of each corrected property; shared/upstream/README.md lists
the spec's known defects). Nothing reads the spec at runtime.
"""

from __future__ import annotations

from pathlib import Path

from channelhub.api.schema import VendoredSchemas

CONNECT = VendoredSchemas(Path(__file__).with_name("openapi_components.json"))
