from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sip.sdp import SdpError, black_hole_answer, has_media, media_sections, reoriginate
from tests.unit.sip_samples import SDP_OFFER

AUDIO_AND_VIDEO = (
    b"v=0\n"
    b"o=- 4858 1 IN IP6 2001:db8::7\n"
    b"s=call\n"
    b"c=IN IP6 2001:db8::7\n"
    b"t=0 0\n"
    b"a=group:BUNDLE 0\n"
    b"m=audio 5004 RTP/AVP 8 0\n"
    b"a=rtpmap:0 PCMU/8000\n"
    b"a=rtpmap:8 PCMA/8000\n"
    b"a=ptime:20\n"
    b"m=video 0 RTP/AVP 96\n"
    b"a=rtpmap:96 H264/90000\n"
    b"m=image 6000 udptl t38\n"
    b"a=T38FaxVersion:0\n"
)


def test_black_hole_answer_mirrors_the_offer() -> None:
    answer = black_hole_answer(SDP_OFFER, (1001, 1), "192.0.2.10")
    assert answer == (
        b"v=0\r\n"
        b"o=ringback 1001 1 IN IP4 192.0.2.10\r\n"
        b"s=-\r\n"
        b"c=IN IP4 0.0.0.0\r\n"
        b"t=0 0\r\n"
        b"m=audio 9 RTP/AVP 0\r\n"
        b"a=rtpmap:0 PCMU/8000\r\n"
        b"a=inactive\r\n"
    )
    assert has_media(answer)


def test_black_hole_answer_keeps_rejected_streams_rejected() -> None:
    answer = black_hole_answer(AUDIO_AND_VIDEO, (7, 3), "2001:db8::10")
    assert answer.decode().splitlines()[1] == "o=ringback 7 3 IN IP6 2001:db8::10"
    sections = media_sections(answer)
    assert [(s.media, s.port, s.proto, s.formats) for s in sections] == [
        ("audio", 9, "RTP/AVP", ("8",)),
        ("video", 0, "RTP/AVP", ("96",)),
        ("image", 9, "udptl", ("t38",)),
    ]
    assert sections[0].attributes == ("rtpmap:8 PCMA/8000", "inactive")
    assert sections[2].attributes == ("inactive",)


def test_reoriginate_replaces_the_origin_and_keeps_the_rest() -> None:
    ours = reoriginate(SDP_OFFER, 555, 2)
    expected = SDP_OFFER.replace(
        b"o=alice 2890844526 2890844526 IN IP4", b"o=ringback 555 2 IN IP4"
    )
    assert ours == expected
    assert reoriginate(AUDIO_AND_VIDEO, 1, 9, username="rb").splitlines()[1] == (
        b"o=rb 1 9 IN IP6 2001:db8::7"
    )
    with pytest.raises(SdpError, match="one word"):
        reoriginate(SDP_OFFER, 1, 1, username="two words")


def test_has_media() -> None:
    assert has_media(SDP_OFFER)
    assert has_media(AUDIO_AND_VIDEO)
    only_rejected = SDP_OFFER.replace(b"m=audio 49170", b"m=audio 0")
    assert not has_media(only_rejected)
    no_media = SDP_OFFER.split(b"m=")[0]
    assert not has_media(no_media)


@pytest.mark.parametrize(
    "sdp",
    [
        b"",
        b"v=1\r\no=- 1 1 IN IP4 h\r\n",
        b"o=- 1 1 IN IP4 h\r\nv=0\r\n",
        b"v=0\r\n",
        b"v=0\r\no=- 1 IN IP4 h\r\n",
        b"v=0\r\no=- 1 1 IN IP4 h\r\no=- 1 1 IN IP4 h\r\n",
        b"v=0\r\no=- 1 1 IN IP4 h\r\nbad line\r\n",
        b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio x RTP/AVP 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 70000 RTP/AVP 0\r\n",
        b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 9 RTP/AVP\r\n",
        b"v=0\r\no=- 1 1 IN IP4 \xff\r\n",
    ],
)
def test_malformed_sdp_is_an_sdp_error(sdp: bytes) -> None:
    with pytest.raises(SdpError):
        has_media(sdp)
    with pytest.raises(SdpError):
        black_hole_answer(sdp, (1, 1), "192.0.2.1")
    assert issubclass(SdpError, ValueError)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(alphabet="vomcat= 0123456789\r\nIPN", max_size=120))
def test_any_input_is_read_or_refused_with_sdp_error(data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    with contextlib.suppress(SdpError):
        black_hole_answer(raw, (1, 1), "192.0.2.1")
        reoriginate(raw, 1, 2)
