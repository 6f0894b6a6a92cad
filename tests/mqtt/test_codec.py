"""MQTT 3.1.1 framing: what mqtt.js sends is read back, what the server sends is well formed."""

from __future__ import annotations

import pytest

from vantage.mqtt import codec, topics


def test_a_connect_with_credentials_reads_back_whole() -> None:
    sent = codec.Connect("mqttjs_1", 60, True, "account-1", b"key")

    (packet,) = codec.Decoder().feed(codec.encode(sent))

    assert packet == sent


def test_packets_split_and_joined_across_messages_are_each_read_once() -> None:
    stream = codec.encode(codec.Subscribe(7, [("account/a/x/+", 0)])) + codec.encode(
        codec.Simple(codec.PINGREQ)
    )
    decoder = codec.Decoder()

    first = decoder.feed(stream[:3])
    rest = decoder.feed(stream[3:])

    assert first == []
    assert rest == [codec.Subscribe(7, [("account/a/x/+", 0)]), codec.Simple(codec.PINGREQ)]


def test_a_publish_over_127_bytes_takes_a_two_byte_remaining_length() -> None:
    packet = codec.publish("t", b"x" * 200)

    assert packet[1] & 0x80 and not packet[2] & 0x80
    assert codec.Decoder().feed(packet) == [codec.Publish("t", b"x" * 200)]


def test_qos_1_publish_carries_its_packet_id() -> None:
    (packet,) = codec.Decoder().feed(codec.publish("t", b"{}", qos=1, packet_id=9))

    assert packet == codec.Publish("t", b"{}", qos=1, packet_id=9)


def test_server_replies_are_the_bytes_the_spec_gives() -> None:
    assert codec.connack(codec.ACCEPTED) == b"\x20\x02\x00\x00"
    assert codec.suback(7, [0, 0x80]) == b"\x90\x04\x00\x07\x00\x80"
    assert codec.pingresp() == b"\xd0\x00"
    assert codec.puback(9) == b"\x40\x02\x00\x09"


@pytest.mark.parametrize(
    "data",
    [
        b"\x60\x00",  # PUBREL: QoS 2 is not implemented
        b"\x34\x03\x00\x01t",  # PUBLISH at QoS 2
        b"\x10\xff\xff\xff\xff\x01",  # a remaining length of five bytes
        b"\x80\x02\x00\x01",  # SUBSCRIBE with flags 0
    ],
)
def test_what_the_subset_does_not_take_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(codec.ProtocolError):
        codec.Decoder().feed(data)


def test_a_packet_over_the_limit_is_refused_from_its_header() -> None:
    with pytest.raises(codec.ProtocolError, match="over"):
        codec.Decoder(max_packet_bytes=10).feed(b"\x30\x0b")


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("account/a/r/s/+/+/+", "account/a/r/s/1/2/result", True),
        ("account/a/r/s/+/+/+", "account/a/r/s/1/2", False),
        ("account/a/#", "account/a/r/s/1/2/result", True),
        ("account/a/r/s/+/+/+", "account/b/r/s/1/2/result", False),
    ],
)
def test_filters_match_levels_as_mqtt_says(topic_filter: str, topic: str, expected: bool) -> None:
    assert topics.matches(topic_filter, topic) is expected


@pytest.mark.parametrize("topic_filter", ["#", "account/+/x", "account/b/x", "account/a#"])
def test_a_client_cannot_subscribe_outside_its_account(topic_filter: str) -> None:
    assert not topics.may_subscribe("a", topic_filter)
