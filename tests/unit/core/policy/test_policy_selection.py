"""Which policy a ticket gets: first match wins, the contract's defaults, the fallback;
the model's values are read-only and check themselves (streams/core/policy/model.py)."""

from __future__ import annotations

import pytest

from streams.core.calendar import ALWAYS
from streams.core.policy import (
    DEFAULT_POLICY_SET,
    NO_POLICY,
    Policy,
    PolicyError,
    PolicySet,
    parse_policy,
)
from tests.unit.core.policy.example import base_doc, ticket


def test_first_match_wins() -> None:
    policies = parse_policy(base_doc())
    assert policies.select(ticket(customer_tier="vip", priority="urgent")).name == "vip-urgent"
    assert policies.select(ticket(customer_tier="vip", priority="high")).name == "default"
    assert policies.select(ticket(customer_tier="standard", priority="urgent")).name == "default"
    # Reversed order: the catch-all now shadows vip-urgent.
    doc = base_doc()
    doc["policies"].reverse()
    assert parse_policy(doc).select(ticket(customer_tier="vip", priority="urgent")).name == (
        "default"
    )


def test_every_match_key_must_equal() -> None:
    doc = {
        "policies": [
            {"name": "billing-chat", "match": {"team": "billing", "channel": "chat"}},
            {"name": "billing", "match": {"team": "billing"}},
            {"name": "complaints", "match": {"category": "complaint"}},
        ]
    }
    policies = parse_policy(doc)
    assert policies.select(ticket(team="billing", channel="chat")).name == "billing-chat"
    assert policies.select(ticket(team="billing", channel="phone")).name == "billing"
    assert policies.select(ticket(team="sales", category="complaint")).name == "complaints"
    assert policies.select(ticket(team="sales", category="inquiry")) is NO_POLICY
    # The memo must distinguish every key a policy matches on: ask again in another order.
    assert policies.select(ticket(team="billing", channel="phone")).name == "billing"
    assert policies.select(ticket(team="billing", channel="chat")).name == "billing-chat"


def test_missing_optional_fields_match_the_contract_defaults() -> None:
    match = {"customer_tier": "standard", "category": "inquiry"}
    doc = {"policies": [{"name": "standard-inquiry", "match": match}]}
    policies = parse_policy(doc)
    assert policies.select({"team": "a", "channel": "web", "priority": "low"}).name == (
        "standard-inquiry"
    )
    assert policies.select(ticket(customer_tier=None)).name == "standard-inquiry"  # type: ignore[arg-type]
    assert policies.select(ticket(customer_tier="vip")) is NO_POLICY
    # The same with a single match key (memoised on a bare value rather than a tuple).
    single = parse_policy({"policies": [{"name": "std", "match": {"customer_tier": "standard"}}]})
    assert single.select(ticket()).name == "std"
    assert single.select(ticket(customer_tier="standard")).name == "std"
    assert single.select(ticket(customer_tier="vip")) is NO_POLICY
    assert single.select(ticket()).name == "std"


def test_the_selection_memo_is_bounded() -> None:
    policies = parse_policy({"policies": [{"name": "t1", "match": {"team": "t1"}}]})
    for i in range(10_000):
        expected = "t1" if i == 1 else "none"
        assert policies.select(ticket(team=f"t{i}")).name == expected
    assert len(policies._cache) <= 4096


def test_no_match_gives_the_builtin_none_policy() -> None:
    policies = parse_policy({"policies": [{"name": "vip", "match": {"customer_tier": "vip"}}]})
    chosen = policies.select(ticket())
    assert chosen is NO_POLICY
    assert chosen.name == "none"
    assert chosen.calendar is ALWAYS
    assert dict(chosen.targets) == {}
    assert parse_policy({"policies": []}).select(ticket()) is NO_POLICY


def test_select_accepts_extra_fields_and_is_stable() -> None:
    policies = DEFAULT_POLICY_SET
    fields = ticket(priority="urgent", customer_id="c1", extra="x")
    assert policies.select(fields) is policies.select(dict(fields))


def test_a_policy_is_found_by_name_and_none_is_the_fallback() -> None:
    assert DEFAULT_POLICY_SET.named("urgent") is DEFAULT_POLICY_SET.policies[1]
    assert DEFAULT_POLICY_SET.named("none") is NO_POLICY
    assert DEFAULT_POLICY_SET.named("nope") is None


def test_policies_are_read_only() -> None:
    policy = DEFAULT_POLICY_SET.policies[0]
    with pytest.raises(TypeError):
        policy.targets["resolution"] = 1.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        policy.name = "x"  # type: ignore[misc]
    assert hash(policy) == hash(DEFAULT_POLICY_SET.policies[0])


def test_the_model_constructors_refuse_bad_values() -> None:
    with pytest.raises(PolicyError, match="policy 'p': unknown target 'first_reply'"):
        Policy("p", {}, ALWAYS, {"first_reply": 60.0})
    with pytest.raises(PolicyError, match="policy 'p': unknown match key 'tier'"):
        Policy("p", {"tier": "vip"}, ALWAYS, {})
    p = Policy("p", {}, ALWAYS, {})
    with pytest.raises(PolicyError, match="policy 'p': the name is used twice or reserved"):
        PolicySet((p, p))
    with pytest.raises(PolicyError, match="at_risk must be a number between 0 and 1"):
        PolicySet((p,), at_risk=1.0)
    assert PolicySet((p,)).calendars["always"] is ALWAYS
