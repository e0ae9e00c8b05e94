"""What a scanned certificate shows (SPEC §5): one status from the facts the lookup found.

Pure core, like ``trademark.rules``: the shell checks the token's signature, reads the key's
status and the certificate's row, and asks ``verification_status`` which of the six words the
public page and ``/api/v1/verify`` show.

The decisions are those ``certificates.lookup`` took inside its lookup code, reproduced so that
wiring this in changes no answer. Where the SPEC is silent they were a choice; here they are:

* The signature comes first: a token that does not verify is not genuine, whatever it claims.
* A compromised key's tokens show "re-issue required" before the certificate is even looked
  up: anyone holding that key could have signed this token, so its certificate number, the
  certificate's existence and its licence's status are not to be trusted (SPEC §5). So a
  token of a compromised key shows re-issue required even for a revoked licence.
* A retired key verifies what it signed, exactly like the active key.
* A good signature from a key whose status is unknown (``None``) is not genuine. It cannot
  happen today (a signature verifies only against a published key, which has a status); it
  is decided the safe way rather than left to chance.
* "Found" means the certificate number exists, its stored token is the one scanned and its
  USCC is the token's. Anything else is not genuine.
* ``expires_on`` is the certificate's expiry date (the token's claim, as printed), its last
  valid day: the certificate is expired from the day after. An active or suspended licence past
  that day shows expired even before the sweep has recorded the expiry (X9); an expired licence
  shows expired even before that day.
* A surrendered licence (given up by the firm) shows revoked: the SPEC has no word of its own
  for it, and the mark may no longer be used.
* An applied or refused licence, or a status this module does not know, shows not genuine: no
  certificate of it can be current (one is printed only for an active licence).
* A superseded certificate (re-issued, e.g. after a key compromise or a scope change) shows
  re-issue required where it would show valid or suspended: the printed copy is no longer the
  current one. Where its licence is revoked or expired it shows that, as the new one would.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType

from trademark.rules import N_, LicenceStatus

KEY_ACTIVE = "active"
KEY_RETIRED = "retired"  # signs nothing new; still verifies what it signed
KEY_COMPROMISED = "compromised"  # its tokens show "re-issue required"
_TRUSTED_KEYS = frozenset({KEY_ACTIVE, KEY_RETIRED})


class VerificationStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_GENUINE = "not_genuine"
    REISSUE_REQUIRED = "reissue_required"

    @property
    def word(self) -> str:
        """The Chinese word the public page shows (SPEC §5)."""
        return WORDS[self]

    @property
    def word_en(self) -> str:
        """The English word the public page shows (SPEC §5)."""
        return WORDS_EN[self]


# SPEC §5: 有效 valid / 暂停 suspended / 已撤销 revoked / 已过期 expired / 非本系统签发 not genuine /
# 需重新签发 re-issue required. Marked with N_ for the shell's catalogue, as in trademark.rules.
WORDS: Mapping[VerificationStatus, str] = MappingProxyType({
    VerificationStatus.VALID: N_("有效"),
    VerificationStatus.SUSPENDED: N_("暂停"),
    VerificationStatus.REVOKED: N_("已撤销"),
    VerificationStatus.EXPIRED: N_("已过期"),
    VerificationStatus.NOT_GENUINE: N_("非本系统签发"),
    VerificationStatus.REISSUE_REQUIRED: N_("需重新签发"),
})

WORDS_EN: Mapping[VerificationStatus, str] = MappingProxyType({
    VerificationStatus.VALID: "valid",
    VerificationStatus.SUSPENDED: "suspended",
    VerificationStatus.REVOKED: "revoked",
    VerificationStatus.EXPIRED: "expired",
    VerificationStatus.NOT_GENUINE: "not genuine",
    VerificationStatus.REISSUE_REQUIRED: "re-issue required",
})


def live_status(licence_status: str | None, expires_on: date | None,
                today: date) -> VerificationStatus:
    """Return what a certificate of a licence in ``licence_status`` shows, superseded or not.

    The shell also needs this one for the page's "since" and "reason", which follow the
    licence even where a superseded certificate shows re-issue required.
    """
    if licence_status in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED):
        if expires_on is None:
            raise ValueError("the certificate's expiry date is needed for a licence in use")
        if today > expires_on:
            return VerificationStatus.EXPIRED  # X9 not yet recorded by the sweep
        return (VerificationStatus.VALID if licence_status == LicenceStatus.ACTIVE
                else VerificationStatus.SUSPENDED)
    if licence_status in (LicenceStatus.REVOKED, LicenceStatus.SURRENDERED):
        return VerificationStatus.REVOKED
    if licence_status == LicenceStatus.EXPIRED:
        return VerificationStatus.EXPIRED
    return VerificationStatus.NOT_GENUINE  # applied, refused, unknown: no certificate is current


def verification_status(*, signature_ok: bool, key_status: str | None, certificate_found: bool,
                        certificate_superseded: bool, licence_status: str | None,
                        expires_on: date | None, today: date) -> VerificationStatus:
    """Decide what a scanned token shows (SPEC §5); see the module notes for each decision.

    ``licence_status`` and ``expires_on`` are read only when the certificate was found.
    """
    if not signature_ok:
        return VerificationStatus.NOT_GENUINE
    if key_status == KEY_COMPROMISED:
        return VerificationStatus.REISSUE_REQUIRED
    if key_status not in _TRUSTED_KEYS:
        return VerificationStatus.NOT_GENUINE
    if not certificate_found:
        return VerificationStatus.NOT_GENUINE
    status = live_status(licence_status, expires_on, today)
    if certificate_superseded and status in (VerificationStatus.VALID,
                                             VerificationStatus.SUSPENDED):
        return VerificationStatus.REISSUE_REQUIRED
    return status
