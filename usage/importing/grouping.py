"""A row's contract and product from its asset's RecurringAsset, when the file does not say.

Loaded once for the whole file: the assets named by `asset.id` (by primary key, in chunks)
and, only if some row searches by `parameter.<id>`, every asset's parameters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from usage.models import RecurringAsset

CHUNK = 500
PARAMETER = "parameter."


def asset_params(params) -> Iterable[tuple[str, str]]:
    """(parameter id, value) of an asset payload's `params` list (values as text)."""
    for param in params if isinstance(params, list) else ():
        if isinstance(param, dict) and param.get("id") and param.get("value") not in (None, ""):
            yield str(param["id"]), str(param["value"])


class AssetGroups:
    """(contract, product) per asset id and per (parameter id, value)."""

    def __init__(self):
        self.by_id: dict[str, tuple[str, str]] = {}
        self.by_param: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)

    @classmethod
    def load(cls, rows: Iterable[dict]) -> AssetGroups:
        """The assets the rows (UsageReportRow fields) search for."""
        groups = cls()
        ids, by_param = set(), False
        for fields in rows:
            criteria = fields.get("asset_search_criteria", "")
            if criteria == "asset.id":
                ids.add(fields.get("asset_search_value", ""))
            elif criteria.startswith(PARAMETER):
                by_param = True
        ids.discard("")
        ids = sorted(ids)
        for start in range(0, len(ids), CHUNK):
            found = RecurringAsset.objects.filter(id__in=ids[start : start + CHUNK])
            for pk, contract, product in found.values_list("id", "contract_id", "product_id"):
                groups.by_id[pk] = (contract, product)
        if by_param:
            assets = RecurringAsset.objects.values_list("contract_id", "product_id", "payload__params")
            for contract, product, params in assets.iterator(chunk_size=2000):
                for key in asset_params(params):
                    groups.by_param[key].add((contract, product))
        return groups

    def of(self, fields: dict) -> tuple[str, str]:
        """The row's (contract, product), ("", "") when its asset is not found or the
        parameter value is on assets of different groups (validation says why)."""
        criteria = fields.get("asset_search_criteria", "")
        value = fields.get("asset_search_value", "")
        if criteria == "asset.id":
            return self.by_id.get(value, ("", ""))
        if criteria.startswith(PARAMETER):
            found = self.by_param.get((criteria[len(PARAMETER) :], value), ())
            if len(found) == 1:
                return next(iter(found))
        return "", ""
