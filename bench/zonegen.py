"""Synthetic but realistic DNS data for N Microsoft 365 domains, and their domains.yml.

Every domain looks like a healthy tenant of the helpdesk (so every check has real work to do):

- scenario mix, by index: 7 in 10 ``third-party-filter``, 2 in 10 ``hybrid-third-party``,
  1 in 10 ``exchange-online``;
- MX ``10 mx01.hornetsecurity.com.`` / ``20 mx02.hornetsecurity.com.`` (the filter), or the
  tenant's Exchange Online host for ``exchange-online``;
- apex TXT: SPF plus the verification records real domains carry (``MS=ms...``, a site token);
  SPF ``include:spf.protection.outlook.com`` (which includes ``spfd.protection.outlook.com``) and
  ``include:spf.hornetsecurity.com`` (a chain ``spf_depth`` includes deep); hybrid domains also
  ``include:_spf.<domain>`` (their own on-premises servers);
- ``_dmarc`` TXT ``p=quarantine`` or ``p=reject``;
- ``selector1``/``selector2._domainkey`` CNAMEs to ``selectorN-<dashed>._domainkey.<tenant>.onmicrosoft.com``
  (1 domain in 5 uses the newer ``<tenant>.r-v1.dkim.mail.microsoft`` form), whose TXT publishes a
  2048-bit-sized RSA key (split in 255-octet strings, as Microsoft publishes it);
- ``autodiscover`` CNAME ``autodiscover.outlook.com.`` -> CNAME ``autod.ms-acdc.office.com.`` -> A;
- ``<dashed>.mail.protection.outlook.com`` A.

Names are the real service names; every address is from 198.18.0.0/15 (RFC 2544, benchmarking),
every customer domain under ``.example`` (RFC 2606). Deterministic for a given N and depth.
"""

from __future__ import annotations

import base64
import random

WORDS = (
    "contoso", "fabrikam", "northwind", "adatum", "tailspin", "woodgrove", "litware", "proseware",
    "wingtip", "fourthcoffee", "alpineski", "blueyonder", "cohovineyard", "lucerne", "margie",
    "relecloud", "trey", "wideworld", "humongous", "datum",
)

MS365_SPF = "spf.protection.outlook.com"
MS365_SPF_TXT = (
    "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 "
    "ip4:52.103.0.0/16 ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 "
    "ip6:2a01:111:f403:8000::/50 ip6:2a01:111:f403:c000::/51 ip6:2a01:111:f403:f000::/52 "
    "include:spfd.protection.outlook.com -all"
)
MS365_SPFD_TXT = (
    "v=spf1 ip4:51.4.72.0/24 ip4:51.5.72.0/24 ip4:51.5.80.0/27 ip4:20.47.149.138/32 "
    "ip4:51.4.80.0/27 ip6:2a01:4180:4051:0800::/64 ip6:2a01:4180:4050:0800::/64 "
    "ip6:2a01:4180:4051:0400::/64 ip6:2a01:4180:4050:0400::/64 -all"
)
FILTER_SPF = "spf.hornetsecurity.com"
FILTER_MX = ("10 mx01.hornetsecurity.com.", "20 mx02.hornetsecurity.com.")
AUTODISCOVER = "autodiscover.outlook.com"
AUTODISCOVER_TARGET = "autod.ms-acdc.office.com"
DER_RSA_2048_PREFIX = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"

#: Zone apexes the server answers for (each gets an SOA in negative answers).
SHARED_ZONES = ("outlook.com", "office.com", "hornetsecurity.com", "onmicrosoft.com",
                "dkim.mail.microsoft")

#: The deepest the filter's include chain may go and still keep every domain within SPF's
#: 10-lookup limit (2 for Microsoft, 1 for a hybrid domain's own include).
MAX_SPF_DEPTH = 7


def scenario_of(index: int) -> str:
    slot = index % 10
    if slot == 9:
        return "exchange-online"
    if slot in (3, 6):
        return "hybrid-third-party"
    return "third-party-filter"


def filter_chain(depth: int) -> list[str]:
    """The filter's include chain, outermost first: spf.hornetsecurity.com, _spf2..., _spfD..."""
    return [FILTER_SPF] + [f"_spf{k}.hornetsecurity.com" for k in range(2, depth + 1)]


def filter_ip(index: int, depth: int) -> str:
    """A filter address that only the deepest link of the chain authorises (worst case for SPF)."""
    return f"198.19.{depth}.{index % 250 + 1}"


def onprem_ip(index: int) -> str:
    return f"198.18.{index // 250 % 256}.{index % 250 + 1}"


def domain_names(count: int) -> list[tuple[str, str]]:
    """(domain, tenant) for N domains: ``contoso-0001.example``, tenant ``contoso0001``."""
    out = []
    for i in range(count):
        word = WORDS[i % len(WORDS)]
        out.append((f"{word}-{i:04d}.example", f"{word}{i:04d}"))
    return out


def _dkim_key(rng: random.Random) -> str:
    """A DKIM record with a 2048-bit RSA public key's shape (SubjectPublicKeyInfo, 294 octets)."""
    modulus = bytes([0x80 | rng.getrandbits(7)]) + bytes(rng.getrandbits(8) for _ in range(255))
    der = base64.b64decode(DER_RSA_2048_PREFIX) + modulus + bytes.fromhex("0203010001")
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode('ascii')}"


def generate(count: int, spf_depth: int = 3, seed: int = 7):
    """Return (zone, entries): ``zone`` = {"zones": [...], "records": [[name, type, [values]]]},
    ``entries`` = the domains.yml ``domains`` list."""
    if not 1 <= spf_depth <= MAX_SPF_DEPTH:
        raise ValueError(f"spf depth must be 1..{MAX_SPF_DEPTH} (SPF allows 10 lookups)")
    rng = random.Random(seed)
    records: list[list] = []

    def add(name: str, rdtype: str, *values: str) -> None:
        records.append([name, rdtype, list(values)])

    # shared: Microsoft, the filter, autodiscover
    add(MS365_SPF, "TXT", MS365_SPF_TXT)
    add("spfd.protection.outlook.com", "TXT", MS365_SPFD_TXT)
    chain = filter_chain(spf_depth)
    for k, name in enumerate(chain, start=1):
        terms = [f"ip4:198.19.{k}.0/24"]
        if k < len(chain):
            terms.append(f"include:{chain[k]}")
        add(name, "TXT", "v=spf1 " + " ".join(terms) + " -all")
    add("mx01.hornetsecurity.com", "A", "198.19.100.1")
    add("mx02.hornetsecurity.com", "A", "198.19.100.2")
    add(AUTODISCOVER, "CNAME", AUTODISCOVER_TARGET + ".")
    add(AUTODISCOVER_TARGET, "A", "198.19.200.1", "198.19.200.2", "198.19.200.3")

    zones = list(SHARED_ZONES)
    entries = []
    for i, (domain, tenant) in enumerate(domain_names(count)):
        scenario = scenario_of(i)
        dashed = domain.replace(".", "-")
        exo = f"{dashed}.mail.protection.outlook.com"
        zones.append(domain)
        entry = {"name": domain, "scenario": scenario, "tenant": tenant}

        if scenario == "exchange-online":
            add(domain, "MX", f"0 {exo}.")
            spf = f"v=spf1 include:{MS365_SPF} -all"
        else:
            entry["filter"] = "hornetsecurity"
            entry["filter_ips"] = [filter_ip(i, spf_depth)]
            add(domain, "MX", *FILTER_MX)
            terms = [f"include:{MS365_SPF}", f"include:{FILTER_SPF}"]
            if scenario == "hybrid-third-party":
                entry["onprem_ips"] = [onprem_ip(i)]
                own = f"_spf.{domain}"
                terms.append(f"include:{own}")
                add(own, "TXT", f"v=spf1 ip4:{onprem_ip(i)} -all")
            spf = "v=spf1 " + " ".join(terms) + " -all"
        add(domain, "TXT", spf, f"MS=ms{rng.randrange(10**7, 10**8)}",
            f"site-verification={rng.getrandbits(128):032x}")
        policy = "reject" if i % 3 == 0 else "quarantine"
        add(f"_dmarc.{domain}", "TXT", f"v=DMARC1; p={policy}; rua=mailto:dmarc@{domain}; pct=100")

        partition = f"{tenant}.r-v1.dkim.mail.microsoft" if i % 5 == 4 else f"{tenant}.onmicrosoft.com"
        for n in (1, 2):
            target = f"selector{n}-{dashed}._domainkey.{partition}"
            add(f"selector{n}._domainkey.{domain}", "CNAME", target + ".")
            add(target, "TXT", _dkim_key(rng))

        add(f"autodiscover.{domain}", "CNAME", AUTODISCOVER + ".")
        add(exo, "A", f"198.18.{128 + i // 250 % 128}.{i % 250 + 1}")
        entries.append(entry)
    return {"zones": zones, "records": records}, entries


def domains_yaml(entries: list[dict], max_in_flight: int, timeout: float = 2.0,
                 lifetime: float = 5.0) -> dict:
    """The domains.yml document (CONTRACT.md schema) for ``entries``."""
    return {
        "resolver": {"timeout": timeout, "lifetime": lifetime, "max_in_flight": max_in_flight},
        "canary": {"name": MS365_SPF, "type": "TXT"},
        "domains": entries,
    }
