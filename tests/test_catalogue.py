"""macros/catalogue.yml: the filtering services are sane data."""

import re

import pytest
import yaml

from macros import catalogue, config, mx
from macros.records import normalize_name

REQUIRED = {"hornetsecurity", "mimecast", "proofpoint", "barracuda", "sophos", "symantec",
            "cisco", "trendmicro"}
FIELDS = {"name", "mx", "spf_include", "docs", "unconfirmed", "note"}

#: Real-shaped inbound hosts of each service: each must match its own service and no other.
SAMPLE_HOSTS = {
    "hornetsecurity": ["mx01.hornetsecurity.com.", "mx04.hornetsecurity.com"],
    "mimecast": ["eu-smtp-inbound-1.mimecast.com", "us-smtp-inbound-2.mimecast.com",
                 "za-smtp-inbound-1.mimecast.co.za"],
    "proofpoint": ["mx0a-00123456.pphosted.com", "mx1-us1.ppe-hosted.com", "mx2-eu1.ppe-hosted.com"],
    "barracuda": ["d123456a.ess.barracudanetworks.com", "d123456b.ess.de.barracudanetworks.com"],
    "sophos": ["mx-01-eu-central-1.prod.hydra.sophos.com"],
    "symantec": ["cluster1.eu.messagelabs.com", "cluster1a.eu.messagelabs.com"],
    "cisco": ["mx1.hc1234-56.iphmx.com"],
    "trendmicro": ["contoso-com.in.tmes.trendmicro.com", "contoso-com.in.tmes.trendmicro.eu"],
}

RAW = yaml.safe_load(catalogue.CATALOGUE_FILE.read_text(encoding="utf-8"))["services"]


def test_required_services_present_and_keys_lowercase():
    assert REQUIRED <= set(catalogue.keys())
    for key in catalogue.keys():
        assert re.fullmatch(r"[a-z][a-z0-9-]*", key), key


@pytest.mark.parametrize("key", sorted(RAW))
def test_entry_fields(key):
    entry = RAW[key]
    assert set(entry) <= FIELDS, f"{key}: unknown fields {set(entry) - FIELDS}"
    assert {"name", "mx", "docs"} <= set(entry)
    service = catalogue.get(key)
    assert service.name.strip()
    assert service.docs.startswith(("https://", "http://"))
    assert service.mx_patterns, f"{key} has no MX pattern"
    for pattern in service.mx_patterns:
        assert re.fullmatch(r"[a-z0-9*.-]+", pattern), pattern
        assert pattern == pattern.lower() and not pattern.endswith(".")
        # the part after the last wildcard is a real domain, never a bare TLD
        assert pattern.rsplit("*", 1)[-1].count(".") >= 2, pattern
    for include in service.spf_include:
        normalize_name(include)
        assert include == include.lower() and not include.endswith(".")


@pytest.mark.parametrize("key", sorted(RAW))
def test_unconfirmed_names_only_listed_values(key):
    service = catalogue.get(key)
    listed = set(service.mx_patterns) | set(service.spf_include)
    assert set(service.unconfirmed) <= listed, set(service.unconfirmed) - listed


@pytest.mark.parametrize("key, hosts", sorted(SAMPLE_HOSTS.items()))
def test_sample_hosts_match_their_service_only(key, hosts):
    for host in hosts:
        owners = [k for k in catalogue.keys() if catalogue.host_matches(host, catalogue.get(k).mx_patterns)]
        assert owners == [key], f"{host}: matched by {owners}"


@pytest.mark.parametrize("host", ["contoso-com.mail.protection.outlook.com", "contoso-com.o-v1.mx.microsoft",
                                  "mail.contoso.com", "aspmx.l.google.com"])
def test_no_service_claims_foreign_hosts(host):
    assert not [k for k in catalogue.keys() if catalogue.host_matches(host, catalogue.get(k).mx_patterns)]


def test_exchange_online_patterns_do_not_overlap_any_service():
    for key in catalogue.keys():
        for sample in SAMPLE_HOSTS.get(key, []):
            assert mx.classify_host(sample, catalogue.get(key).mx_patterns) == mx.FILTER


@pytest.mark.parametrize("key", sorted(RAW))
def test_every_key_is_accepted_by_domains_yml(key):
    cfg = config.from_data({"domains": [{"name": "contoso.example", "scenario": "third-party-filter",
                                         "filter": key}]})
    spec = cfg.domains[0]
    assert spec.filter_mx == catalogue.get(key).mx_patterns
    assert spec.filter_name == catalogue.get(key).name


def test_loader_is_case_insensitive_for_hosts():
    assert catalogue.host_matches("MX01.HornetSecurity.COM.", ["mx*.hornetsecurity.com"])



def test_a_catalogue_typo_is_one_clear_error(tmp_path, monkeypatch):
    from macros.errors import CatalogueError, MailflowError

    bad = tmp_path / "catalogue.yml"
    bad.write_text("services:\n  acme:\n    nmae: Acme\n    mx: ['mx.acme.example']\n", encoding="utf-8")
    monkeypatch.setattr(catalogue, "CATALOGUE_FILE", bad)
    catalogue.services.cache_clear()
    try:
        with pytest.raises(CatalogueError) as info:
            catalogue.get("acme")
    finally:
        catalogue.services.cache_clear()
    assert isinstance(info.value, MailflowError) and info.value.exit_code == 2
    assert "catalogue.yml" in str(info.value) and "services.acme: field 'name' missing" in str(info.value)
