"""NetworkPolicies on managed clusters: DNS answered by a node-local cache or the cloud's
metadata resolver, and external datastores on the ports their URLs name (a PgBouncer on
6432, a Redis on 6380), not the servers' default ports."""

from typing import Any

from clusterkit.helm import template

ON = {"networkPolicies.enabled": "true"}
PGBOUNCER_AND_REDIS = ON | {
    "postgres.enabled": "false",
    "postgres.external.url": "postgresql://admin:pw@pgbouncer.example:6432/postgres",
    "redis.enabled": "false",
    "redis.external.url": "redis://:pw@cache.example:6380/0",
}


def policies(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == "NetworkPolicy"}


def egress_ports(policy: dict[str, Any], outside_only: bool = True) -> set[int]:
    """The TCP ports of the egress rules of a from-<part> policy (to anywhere)."""
    return {
        port["port"]
        for rule in policy["spec"]["egress"]
        if not outside_only or "to" not in rule
        for port in rule["ports"]
    }


def test_dns_may_also_go_to_node_local_caches_and_the_metadata_resolver(helm: str) -> None:
    dns = policies(template(values=ON))["pyservices-dns"]

    (rule,) = dns["spec"]["egress"]
    blocks = {peer["ipBlock"]["cidr"] for peer in rule["to"] if "ipBlock" in peer}
    assert blocks == {"169.254.20.10/32", "169.254.169.254/32"}
    assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}


def test_dns_addresses_are_a_value(helm: str) -> None:
    dns = policies(template(values=ON | {"networkPolicies.dnsAddresses": "{10.96.0.10}"}))
    (rule,) = dns["pyservices-dns"]["spec"]["egress"]

    assert [peer["ipBlock"]["cidr"] for peer in rule["to"] if "ipBlock" in peer] == [
        "10.96.0.10/32"
    ]


def test_external_postgres_and_redis_are_reached_on_the_ports_of_their_urls(helm: str) -> None:
    found = policies(template(values=PGBOUNCER_AND_REDIS))

    assert egress_ports(found["pyservices-from-users"]) == {6432, 6380}
    assert egress_ports(found["pyservices-from-items"]) == {6432, 6380}
    assert egress_ports(found["pyservices-from-migrate-users"]) == {6432}
    # tasks is on the in-chart MariaDB, reached by pod selector, plus the external Redis.
    assert egress_ports(found["pyservices-from-tasks"]) == {6380}
    assert egress_ports(found["pyservices-from-worker"]) == {6432, 6380}


def test_a_server_given_by_a_secret_is_reached_on_its_port_value(helm: str) -> None:
    values = ON | {
        "mysql.enabled": "false",
        "mysql.external.existingSecret": "mysql-urls",
        "mysql.external.port": "3307",
    }

    found = policies(template(values=values))

    assert egress_ports(found["pyservices-from-tasks"]) == {3307}
    assert 3306 not in egress_ports(found["pyservices-from-worker"], outside_only=False)
