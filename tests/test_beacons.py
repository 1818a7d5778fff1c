"""Randomness sources: the hash chain and drand quicknet, on real data only.

drand is never mocked: the recorded round in casedraw/data/drand-quicknet.json
is verified with the real BLS check, and the HTTP feed talks to a real HTTP
server on the loopback interface.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from casedraw.draw import beacons
from casedraw.draw.beacons import (
    QUICKNET,
    BeaconInvalid,
    BeaconUnavailable,
    DrandChain,
    DrandFileFeed,
    DrandHttpFeed,
    Randomness,
    drand_randomness,
    fetch_drand,
    hashchain_anchor,
    hashchain_value,
    hashchain_verify,
    round_at,
    round_time,
    target_round,
)

DATA = json.loads(resources.files("casedraw.data").joinpath("drand-quicknet.json").read_text("utf-8"))
RECORDED = DATA["rounds"][0]
ROUND: int = RECORDED["round"]
SIGNATURE: str = RECORDED["signature"]
RANDOMNESS = bytes.fromhex(RECORDED["randomness"])
GENESIS = QUICKNET.genesis

secrets = st.binary(min_size=32, max_size=32)
lengths = st.integers(1, 50)


# --- drand verification --------------------------------------------------------


def test_quicknet_parameters_come_from_the_package_data():
    assert QUICKNET == DrandChain(
        chain_hash=DATA["chain_hash"],
        public_key=DATA["public_key"],
        period=DATA["period_seconds"],
        genesis=DATA["genesis_time"],
    )
    assert (QUICKNET.period, QUICKNET.genesis) == (3, 1692803367)


def test_recorded_round_verifies_and_gives_the_recorded_randomness():
    randomness = drand_randomness(ROUND, SIGNATURE)
    assert randomness == Randomness("drand-quicknet", ROUND, RANDOMNESS, {"signature": SIGNATURE})
    assert randomness.value == hashlib.sha256(bytes.fromhex(SIGNATURE)).digest()


def test_signature_is_normalised_to_lowercase_in_the_proof():
    randomness = drand_randomness(ROUND, SIGNATURE.upper())
    assert randomness.value == RANDOMNESS
    assert randomness.proof == {"signature": SIGNATURE}


def test_signature_of_one_round_is_refused_for_the_next():
    with pytest.raises(BeaconInvalid, match=f"drand round {ROUND + 1}"):
        drand_randomness(ROUND + 1, SIGNATURE)


@given(st.integers(0, len(SIGNATURE) - 1), st.integers(1, 15))
def test_signature_with_one_flipped_hex_digit_is_refused(position, delta):
    flipped = format((int(SIGNATURE[position], 16) + delta) % 16, "x")
    tampered = SIGNATURE[:position] + flipped + SIGNATURE[position + 1 :]
    with pytest.raises(BeaconInvalid, match=f"drand round {ROUND}"):
        drand_randomness(ROUND, tampered)


@pytest.mark.parametrize(
    "signature",
    ["", "zz" + SIGNATURE[2:], "0x" + SIGNATURE, SIGNATURE[:-1], SIGNATURE[:48] + " " + SIGNATURE[48:], SIGNATURE + "\n"],
)
def test_non_hex_signature_is_refused(signature):
    with pytest.raises(BeaconInvalid, match="not hex"):
        drand_randomness(ROUND, signature)


def test_truncated_signature_is_refused():
    with pytest.raises(BeaconInvalid, match=f"drand round {ROUND}"):
        drand_randomness(ROUND, SIGNATURE[:-2])


@pytest.mark.parametrize("round_", [0, -1, 2**64])
def test_round_numbers_outside_drand_are_refused(round_):
    with pytest.raises(BeaconInvalid, match="does not exist"):
        drand_randomness(round_, SIGNATURE)


def test_randomness_value_must_be_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        Randomness("hashchain", 1, b"\x00" * 31, {})
    assert hash(Randomness("hashchain", 1, b"\x00" * 32, {})) is not None


# --- round arithmetic ------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, 1), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (3 * 122, 123), (3 * 122 + 2, 123), (3 * 123, 124)],
)
def test_round_at_genesis_and_period_boundaries(offset, expected):
    assert round_at(QUICKNET, GENESIS + offset) == expected
    assert target_round(QUICKNET, GENESIS + offset) == expected + 2


def test_round_at_refuses_times_before_genesis():
    with pytest.raises(ValueError, match="before the chain's genesis"):
        round_at(QUICKNET, GENESIS - 1)


def test_round_time_is_the_start_of_the_round():
    assert round_time(QUICKNET, 1) == GENESIS
    assert round_time(QUICKNET, 2) == GENESIS + 3
    assert round_time(QUICKNET, ROUND) == GENESIS + 3 * 122
    with pytest.raises(ValueError):
        round_time(QUICKNET, 0)


@given(st.integers(GENESIS, GENESIS + 10**10))
def test_target_round_was_not_published_at_sealing_time(sealed_at):
    latest = round_at(QUICKNET, sealed_at)
    target = target_round(QUICKNET, sealed_at)
    assert round_time(QUICKNET, latest) <= sealed_at < round_time(QUICKNET, latest + 1)
    # At least one full period between sealing and publication of the target.
    assert round_time(QUICKNET, target) - sealed_at > QUICKNET.period


# --- hash chain ---------------------------------------------------------------


def test_hashchain_matches_the_written_specification():
    secret = bytes(range(32))
    x3 = hashlib.sha256(b"casedraw/hashchain/v1" + secret).digest()
    x2 = hashlib.sha256(x3).digest()
    x1 = hashlib.sha256(x2).digest()
    x0 = hashlib.sha256(x1).digest()
    assert hashchain_anchor(secret, 3) == x0
    assert [hashchain_value(secret, 3, i) for i in (1, 2, 3)] == [
        Randomness("hashchain", 1, x1, {}),
        Randomness("hashchain", 2, x2, {}),
        Randomness("hashchain", 3, x3, {}),
    ]


@given(secrets, lengths, st.data())
def test_every_value_verifies_against_the_anchor_and_any_earlier_value(secret, length, data):
    anchor = hashchain_anchor(secret, length)
    values = [anchor] + [hashchain_value(secret, length, i).value for i in range(1, length + 1)]
    for i in range(1, length + 1):
        hashchain_verify(values[i], i, anchor, 0)
        j = data.draw(st.integers(0, i - 1), label=f"earlier index for {i}")
        hashchain_verify(values[i], i, values[j], j)


@given(secrets, lengths, st.data())
def test_revealing_in_order_verifies_each_step(secret, length, data):
    known_value, known_index = hashchain_anchor(secret, length), 0
    for i in range(1, length + 1):
        value = hashchain_value(secret, length, i).value
        hashchain_verify(value, i, known_value, known_index)
        known_value, known_index = value, i


@given(secrets, lengths, st.data())
def test_wrong_value_is_refused(secret, length, data):
    i = data.draw(st.integers(1, length), label="index")
    j = data.draw(st.integers(0, i - 1), label="known index")
    value = hashchain_value(secret, length, i).value
    known = hashchain_anchor(secret, length) if j == 0 else hashchain_value(secret, length, j).value
    bit = data.draw(st.integers(0, 255), label="flipped bit")
    wrong = bytearray(value)
    wrong[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(BeaconInvalid, match=f"index {i} .* index {j}.*expected {known.hex()}"):
        hashchain_verify(bytes(wrong), i, known, j)
    with pytest.raises(BeaconInvalid, match=f"index {i}"):
        hashchain_verify(value[:31], i, known, j)


@given(secrets, lengths, st.data())
def test_value_under_a_wrong_index_is_refused(secret, length, data):
    i = data.draw(st.integers(1, length), label="true index")
    claimed = data.draw(st.integers(1, length + 5).filter(lambda k: k != i), label="claimed index")
    value = hashchain_value(secret, length, i).value
    with pytest.raises(BeaconInvalid, match=f"index {claimed}"):
        hashchain_verify(value, claimed, hashchain_anchor(secret, length), 0)


@given(secrets, lengths, st.data())
def test_reused_or_out_of_order_index_is_refused(secret, length, data):
    i = data.draw(st.integers(1, length), label="index")
    value = hashchain_value(secret, length, i).value
    with pytest.raises(BeaconInvalid, match="reused or out of order"):
        hashchain_verify(value, i, value, i)
    j = data.draw(st.integers(0, i - 1), label="earlier index")
    earlier = hashchain_anchor(secret, length) if j == 0 else hashchain_value(secret, length, j).value
    with pytest.raises(BeaconInvalid, match=f"index {j} is not after the last verified index {i}"):
        hashchain_verify(earlier, j, value, i)


@given(secrets, secrets, lengths)
def test_anchor_differs_for_different_secrets(first, second, length):
    assume(first != second)
    assert hashchain_anchor(first, length) != hashchain_anchor(second, length)


@given(secrets, lengths)
def test_anchor_depends_on_the_chain_length(secret, length):
    assert hashchain_anchor(secret, length) != hashchain_anchor(secret, length + 1)


@pytest.mark.parametrize("index", [0, -1, 4])
def test_hashchain_value_index_must_be_within_the_chain(index):
    with pytest.raises(ValueError, match=r"1\.\.3"):
        hashchain_value(bytes(32), 3, index)


def test_hashchain_secret_must_be_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        hashchain_anchor(b"short", 3)


# --- file feed ------------------------------------------------------------------


def test_file_feed_reads_the_package_json_shape(tmp_path: Path):
    path = tmp_path / "quicknet.json"
    path.write_text(json.dumps(DATA), "utf-8")
    feed = DrandFileFeed(path)
    assert feed.signature(ROUND) == SIGNATURE
    assert fetch_drand(feed, ROUND).value == RANDOMNESS
    with pytest.raises(BeaconUnavailable, match=f"drand round {ROUND + 1} is not in"):
        feed.signature(ROUND + 1)


def test_file_feed_reads_json_lines_and_rereads_as_the_file_grows(tmp_path: Path):
    path = tmp_path / "quicknet.jsonl"
    feed = DrandFileFeed(str(path))
    with pytest.raises(BeaconUnavailable, match="does not exist yet"):
        feed.signature(ROUND)
    path.write_text(json.dumps({"round": ROUND - 1, "signature": "00" * 48}) + "\n", "utf-8")
    with pytest.raises(BeaconUnavailable, match=f"drand round {ROUND} is not in"):
        feed.signature(ROUND)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"round": ROUND, "signature": SIGNATURE}) + "\n")
        out.write('{"round": 124, "sig')  # a line still being appended
    assert fetch_drand(feed, ROUND) == drand_randomness(ROUND, SIGNATURE)
    with pytest.raises(BeaconUnavailable):
        feed.signature(ROUND + 1)


def test_file_feed_with_a_single_json_line(tmp_path: Path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"round": ROUND, "signature": SIGNATURE}), "utf-8")
    assert DrandFileFeed(path).signature(ROUND) == SIGNATURE


def test_file_feed_refuses_conflicting_signatures_for_a_round(tmp_path: Path):
    path = tmp_path / "conflict.jsonl"
    lines = [{"round": ROUND, "signature": SIGNATURE}, {"round": ROUND, "signature": "ab" * 48}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    with pytest.raises(BeaconInvalid, match="2 different signatures"):
        DrandFileFeed(path).signature(ROUND)


def test_file_feed_offering_a_bad_signature_is_refused_on_fetch(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"round": ROUND + 1, "signature": SIGNATURE}) + "\n", "utf-8")
    with pytest.raises(BeaconInvalid, match=f"drand round {ROUND + 1}"):
        fetch_drand(DrandFileFeed(path), ROUND + 1)


def test_file_feed_with_a_corrupt_line_is_unavailable(tmp_path: Path):
    path = tmp_path / "corrupt.jsonl"
    path.write_text("not json\n" + json.dumps({"round": ROUND, "signature": SIGNATURE}) + "\n", "utf-8")
    with pytest.raises(BeaconUnavailable, match="line 1 is not JSON"):
        DrandFileFeed(path).signature(ROUND)


# --- HTTP feed against a real loopback server ---------------------------------------


Routes = dict[str, tuple[int, bytes]]


class _Server:
    def __init__(self, routes: Routes) -> None:
        self.routes = routes
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests.append(self.path)
                status, body = server.routes.get(self.path, (404, b'{"error": "not found"}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval keeps shutdown() in the finalizer quick.
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()
        host, port = self.httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Loopback requests must never be sent to a proxy from the environment.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def serve(request: pytest.FixtureRequest, no_proxy: None) -> Callable[[Routes], _Server]:
    def start(routes: Routes) -> _Server:
        server = _Server(routes)
        request.addfinalizer(server.close)
        return server

    return start


def _path(round_: int) -> str:
    return f"/{QUICKNET.chain_hash}/public/{round_}"


def _body(round_: int, signature: str = SIGNATURE) -> bytes:
    return json.dumps({"round": round_, "signature": signature, "randomness": RECORDED["randomness"]}).encode()


def test_http_feed_fetches_and_verifies_the_recorded_round(serve):
    server = serve({_path(ROUND): (200, _body(ROUND))})
    randomness = fetch_drand(DrandHttpFeed(server.base_url + "/"), ROUND)
    assert randomness == Randomness("drand-quicknet", ROUND, RANDOMNESS, {"signature": SIGNATURE})
    assert server.requests == [_path(ROUND)]


@pytest.mark.parametrize("status", [404, 425])
def test_http_feed_missing_round_is_unavailable(serve, status):
    server = serve({_path(ROUND): (200, _body(ROUND)), _path(ROUND + 1): (status, b"{}")})
    feed = DrandHttpFeed(server.base_url)
    with pytest.raises(BeaconUnavailable, match=f"drand round {ROUND + 1} is not published yet"):
        fetch_drand(feed, ROUND + 1)


def test_http_feed_does_not_ask_for_a_future_round(serve):
    server = serve({})
    future = round_at(QUICKNET, int(time.time())) + 100
    with pytest.raises(BeaconUnavailable, match=f"drand round {future} is not published yet"):
        DrandHttpFeed(server.base_url).signature(future)
    assert server.requests == []


def test_http_feed_server_error_is_unavailable_with_the_reason(serve):
    server = serve({_path(ROUND): (503, b"{}")})
    with pytest.raises(BeaconUnavailable, match="HTTP 503"):
        DrandHttpFeed(server.base_url).signature(ROUND)


def test_http_feed_answer_for_another_round_is_invalid(serve):
    server = serve({_path(ROUND + 1): (200, _body(ROUND))})
    with pytest.raises(BeaconInvalid, match=f"answered for round {ROUND} instead of {ROUND + 1}"):
        fetch_drand(DrandHttpFeed(server.base_url), ROUND + 1)


def test_http_feed_wrong_signature_is_invalid(serve):
    server = serve({_path(ROUND + 1): (200, _body(ROUND + 1))})
    with pytest.raises(BeaconInvalid, match=f"drand round {ROUND + 1}"):
        fetch_drand(DrandHttpFeed(server.base_url), ROUND + 1)


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[]", json.dumps({"round": ROUND}).encode()])
def test_http_feed_malformed_answer_is_invalid(serve, body):
    server = serve({_path(ROUND): (200, body)})
    with pytest.raises(BeaconInvalid, match="drand relay"):
        DrandHttpFeed(server.base_url).signature(ROUND)


def test_http_feed_closed_port_is_unavailable(no_proxy):
    # A bound socket that never listens refuses connections, with no race.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(BeaconUnavailable, match="cannot be reached"):
            DrandHttpFeed(f"http://127.0.0.1:{port}").signature(ROUND)


@pytest.fixture
def silent_server(no_proxy: None) -> Iterator[str]:
    # Accepts connections (kernel backlog) but never answers.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_http_feed_timeout_is_unavailable(silent_server):
    with pytest.raises(BeaconUnavailable, match="drand relay"):
        DrandHttpFeed(silent_server, timeout=0.2).signature(ROUND)


def test_http_feed_accepts_only_http_urls():
    with pytest.raises(ValueError, match="http"):
        DrandHttpFeed("file:///etc")


def test_module_exports_what_it_documents():
    assert set(beacons.__all__) <= set(dir(beacons))
