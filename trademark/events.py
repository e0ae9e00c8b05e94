"""What happens to licences that other areas act on."""
from dataclasses import dataclass
from datetime import date

from infra.events import Event


@dataclass(frozen=True)
class LicenceGranted(Event):
    """A licence was granted: its first certificate is issued in the same transaction."""

    licence_id: int
    today: date
