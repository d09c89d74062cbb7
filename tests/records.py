"""The one usage call record builder of the tests: a valid Microsoft Graph PSTN call record, as
`/api/usage` and `CreditsService.ingest_usage` take it (credits/usage.py checks every field).

`call("c1", "1.25")` is a full record; keyword overrides set fields by their JSON name
(`tenantId=...`, `startDateTime=...`, `currency="EUR"`, even `id=` or `charge=`), and `OMIT`
leaves a field out (None is sent as JSON null). The charge is sent as given: text for JSON
bodies, a Decimal where the test hands records to the service directly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

TENANT: Final = "tenant-a"


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()  # an override that leaves the field out of the record


def call(
    record_id: str = "c1", charge: str | Decimal = "1.25", /, **overrides: Any
) -> dict[str, Any]:
    """One call record: `record_id` and `charge` as given, the rest a typical international call."""
    record: dict[str, Any] = {
        "id": record_id,
        "tenantId": TENANT,
        "startDateTime": "2025-12-31T23:00:00Z",
        "duration": 120,
        "charge": charge,
        "currency": "USD",
        "licenseCapability": "MCOPSTN1",
        "callType": "ucap_out",
        "userPrincipalName": "megan@contoso.com",
        "destinationContext": "International",
    }
    record.update(overrides)
    return {name: value for name, value in record.items() if value is not OMIT}
