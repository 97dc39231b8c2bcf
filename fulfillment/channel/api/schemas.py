"""The OpenAPI shapes of the Cloud Channel endpoints (`/api/v1/channel/...`), vendored.

`discovery_schemas.json` beside this module was cut from Google's Cloud Channel API v1
discovery document (`cloudchannel.v1.json`, shipped in google-api-python-client 2.202.0,
revision 20260627): `GoogleCloudChannelV1Customer`, `Entitlement`, `EntitlementChange`, `Offer`,
`Product`, `Sku` and `ChannelPartnerLink` and every schema they `$ref`, transitively, turned
into OpenAPI 3.0 (a `$ref` to `X` becomes `#/components/schemas/X`; discovery's `id`,
`enumDescriptions`, `enumDeprecated` and `type: any` dropped). Each served shape is also there
as `Channel<Name>`: Google's schema plus the fields that are ours (`goneTime`/`goneReason`; a
change's `id`), see `fulfillment.channel.api.views`. Nothing reads the discovery document at runtime.
"""

from __future__ import annotations

from pathlib import Path

from channelhub.api.schema import VendoredSchemas

CHANNEL = VendoredSchemas(Path(__file__).with_name("discovery_schemas.json"))
