"""Re-issuing every certificate of a compromised key is one transaction (all or nothing)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from certificates import services as certs
from certificates.models import Certificate
from infra import clock
from infra.db import db
from tests.builders import make_certified_licence


def test_a_failure_midway_through_a_key_reissue_leaves_every_certificate_as_it_was(app, monkeypatch):
    first, certificate = make_certified_licence(1)
    make_certified_licence(2)
    kid = certificate.kid
    before = db.session.execute(select(func.count()).select_from(Certificate)).scalar_one()
    calls = []
    real = certs._new_certificate

    def fails_on_the_second(licence, serial, today):
        calls.append(serial)
        if len(calls) == 2:
            raise RuntimeError("printer on fire")
        return real(licence, serial, today)

    monkeypatch.setattr(certs, "_new_certificate", fails_on_the_second)
    with pytest.raises(RuntimeError):
        certs.reissue_for_key(kid, clock.today())
    db.session.rollback()
    assert len(calls) == 2
    assert db.session.execute(select(func.count()).select_from(Certificate)).scalar_one() == before
    assert db.session.execute(select(func.count()).select_from(Certificate)
                              .where(Certificate.superseded_by_id.is_not(None))).scalar_one() == 0


def test_a_key_reissue_supersedes_every_current_certificate_of_that_key(app):
    _first, certificate = make_certified_licence(1)
    make_certified_licence(2)
    done = certs.reissue_for_key(certificate.kid, clock.today())
    assert len(done) == 2
    assert db.session.execute(select(func.count()).select_from(Certificate)
                              .where(Certificate.superseded_by_id.is_not(None))).scalar_one() == 2
