"""Claim 6 (unit gradient norm of the optimal critic): a well-formed quick run and the norm measures."""

from __future__ import annotations

import pytest
import torch

from tests.claims.conftest import assert_well_formed
from wganlab.claims.claim06_unit_gradient import unit_likeness


def test_quick_run_is_well_formed(quick_claim):
    assert_well_formed(quick_claim(6), 6)


def test_unit_likeness_of_known_norms() -> None:
    off, inside = unit_likeness(torch.tensor([1.0, 0.9, 1.3, 0.5, 1.1]))
    assert off == pytest.approx(0.1)
    assert inside == pytest.approx(3 / 5)
