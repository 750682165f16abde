"""Routing throughput: leads routed per second against 5,000 partners, per strategy.

Run: .venv/bin/python -m bench.routing [--partners N] [--leads N]
"""

from __future__ import annotations

import argparse
import random
import time

from hub.routing import Area, Candidate, LeadSpec, Policy, RoutingIndex, Strategy, route

COUNTRIES = [
    ("US", 39.8, -98.6, ["US-CA", "US-NY", "US-TX", "US-IL", "US-WA", "US-FL"]),
    ("CA", 56.1, -106.3, ["CA-ON", "CA-QC", "CA-BC"]),
    ("GB", 54.0, -2.0, ["GB-ENG", "GB-SCT", "GB-WLS"]),
    ("DE", 51.2, 10.4, ["DE-BY", "DE-NW", "DE-BE", "DE-HE"]),
    ("FR", 46.2, 2.2, ["FR-IDF", "FR-ARA", "FR-PAC"]),
    ("ES", 40.4, -3.7, ["ES-MD", "ES-CT"]),
    ("IT", 41.9, 12.6, ["IT-25", "IT-62"]),
    ("NL", 52.1, 5.3, ["NL-NH", "NL-ZH"]),
    ("JP", 36.2, 138.3, ["JP-13", "JP-27"]),
    ("AU", -25.3, 133.8, ["AU-NSW", "AU-VIC", "AU-WA"]),
    ("BR", -14.2, -51.9, ["BR-SP", "BR-RJ"]),
    ("IN", 20.6, 78.9, ["IN-MH", "IN-KA", "IN-DL"]),
]
LINES = ["NETWORKING", "SECURITY", "STORAGE", "CLOUD", "COLLABORATION", "ANALYTICS"]
TIERS = ["REGISTERED", "SILVER", "GOLD", "PLATINUM"]


def partners(count: int, rng: random.Random) -> list[Candidate]:
    made = []
    for index in range(count):
        country, lat, lon, regions = rng.choice(COUNTRIES)
        kind = rng.random()
        if kind < 0.3:
            area = Area(countries=frozenset({country}))
        elif kind < 0.8:
            area = Area(regions=frozenset(rng.sample(regions, k=min(2, len(regions)))))
        else:
            area = Area(
                postal_prefixes=frozenset(
                    f"{rng.randint(1, 9)}{rng.randint(0, 9)}" for _ in range(3)
                )
            )
        made.append(
            Candidate(
                id=f"p{index:05}",
                name=f"Partner {index}",
                tier=rng.choice(TIERS),
                status="ACTIVE" if rng.random() < 0.9 else "SUSPENDED",
                country=country,
                latitude=lat + rng.uniform(-5, 5),
                longitude=lon + rng.uniform(-5, 5),
                specializations=frozenset(rng.sample(LINES, k=rng.randint(1, 3))),
                areas=(area,),
                capacity=rng.randint(5, 50),
                open_leads=rng.randint(0, 10),
                acceptance_rate=rng.random(),
                median_hours_to_accept=rng.uniform(1, 48),
                win_rate=rng.random(),
            )
        )
    return made


def leads(count: int, rng: random.Random) -> list[LeadSpec]:
    made = []
    for _ in range(count):
        country, lat, lon, regions = rng.choice(COUNTRIES)
        made.append(
            LeadSpec(
                country=country,
                product_line=rng.choice(LINES),
                region=rng.choice(regions),
                postal_code=f"{rng.randint(10000, 99999)}",
                latitude=lat + rng.uniform(-5, 5),
                longitude=lon + rng.uniform(-5, 5),
            )
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(42)
    pool, batch = partners(args.partners, rng), leads(args.leads, rng)
    print(
        f"machine: a 2,000,000-step Python loop takes {calibration() * 1000:.0f} ms (slower machine, fewer leads/s)"
    )
    for strategy in Strategy:
        rates = [run(strategy, pool, batch, rng) for _ in range(args.rounds)]
        best = max(rates, key=lambda rate: rate[0])
        median = sorted(rate[0] for rate in rates)[len(rates) // 2]
        print(
            f"routing {strategy.value:11} {args.leads} leads x {args.partners} partners: "
            f"best {best[0]:,.0f} leads/s, median {median:,.0f} "
            f"over {args.rounds} rounds (index built in {best[1] * 1000:.0f} ms, "
            f"{best[2]} assigned, {best[3]:.0f} partners explained per lead)"
        )


def calibration() -> float:
    """Time a fixed pure-Python loop, so figures from machines of different speed compare."""
    started = time.perf_counter()
    total = 0
    for step in range(2_000_000):
        total += step
    return time.perf_counter() - started


def run(
    strategy: Strategy, pool: list[Candidate], batch: list[LeadSpec], rng: random.Random
) -> tuple[float, float, int, float]:
    """Route every lead once on a fresh index; return (leads/s, build s, assigned, explained)."""
    for candidate in pool:
        candidate.open_leads = 0
    policy = Policy(strategy=strategy)
    started = time.perf_counter()
    index = RoutingIndex(pool, policy.weights)
    built = time.perf_counter() - started
    started = time.perf_counter()
    chosen = 0
    considered = 0
    for lead in batch:
        decision = route(lead, index, policy, rng=rng)
        considered += len(decision.candidates) + len(decision.excluded)
        if decision.chosen is not None:
            chosen += 1
            index.open_leads[decision.chosen] += 1
    elapsed = time.perf_counter() - started
    return len(batch) / elapsed, built, chosen, considered / len(batch)


if __name__ == "__main__":
    main()
