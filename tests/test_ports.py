"""replenish.core.ports: the exceptions services ask governance through the decision-policy port."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from replenish.core import ports


def test_governance_provides_the_decision_policy_when_the_app_is_ready():
    import governance.policy

    assert ports.decision_policy() is governance.policy


def test_without_a_provider_the_port_says_which_app_is_missing(monkeypatch):
    monkeypatch.setattr(ports, "_decision_policy", None)

    with pytest.raises(ImproperlyConfigured, match="governance app"):
        ports.decision_policy()


@pytest.mark.django_db
def test_automated_actions_are_those_with_an_active_policy():
    from governance.models import AutomationPolicy

    AutomationPolicy.objects.all().delete()
    AutomationPolicy.objects.create(name="c", action="expedite", max_value=10, effective_from="2026-01-01")
    AutomationPolicy.objects.create(
        name="off", action="cancel", max_value=10, effective_from="2026-01-01", active=False
    )

    assert ports.decision_policy().automated_actions() == {"expedite"}
