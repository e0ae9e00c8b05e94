"""What happens to the parties that other areas act on."""
from dataclasses import dataclass
from datetime import date

from infra.events import Event


@dataclass(frozen=True)
class MembershipChanged(Event):
    """A membership changed status (admitted, expelled …): the decision trail records it."""

    membership_id: int
    from_status: str | None
    to_status: str
    kind: str
    reason: str
    today: date
    actor_id: int | None


@dataclass(frozen=True)
class FirmExpelled(Event):
    """A firm was expelled (清退) from an alliance: X10 strikes its licences of the alliance's marks."""

    membership_id: int
    today: date
    actor_id: int | None
