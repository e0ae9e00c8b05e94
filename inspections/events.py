"""What happens to inspections that other areas act on."""
from dataclasses import dataclass
from datetime import date

from infra.events import Event


@dataclass(frozen=True)
class InspectionVerified(Event):
    """A second person verified an inspection: the firm's licences face the event rules at once."""

    inspection_id: int
    firm_id: int
    today: date
