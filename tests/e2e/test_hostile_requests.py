"""Hostile requests at a real `channelhub serve` process: it keeps answering everyone."""

from __future__ import annotations

import threading

import httpx

from tests.api.test_limits import bomb


def test_a_fragment_bomb_does_not_block_the_process(embedded_server: str) -> None:
    answers: list[httpx.Response] = []

    def fire() -> None:
        with httpx.Client(base_url=embedded_server, timeout=120) as http:
            answers.append(http.post("/graphql", json={"query": bomb(22)}))

    bombers = [threading.Thread(target=fire) for _ in range(3)]
    for bomber in bombers:
        bomber.start()
    # Before the fix each bomb kept the process busy for about 30 seconds.
    health = httpx.get(f"{embedded_server}/healthz", timeout=5)
    for bomber in bombers:
        bomber.join()

    assert health.json() == {"status": "ok"}
    assert [answer.json()["errors"][0]["extensions"]["code"] for answer in answers] == [
        "GRAPHQL_VALIDATION_FAILED"
    ] * 3
