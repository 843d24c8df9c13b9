"""Any recap text, posted through the loopback in either format: hidden, balanced, short enough, never
pinging (the loopback checks every card against the spec and Components V2's limits)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cogs.support import recap_format, severance, write_recap
from tests.harness import Harness
from tests.loopback.components_v2 import IS_COMPONENTS_V2, TEXT_LIMIT
from tests.loopback.components_v2 import texts as shown_texts
from tests.support import NASTY, PING, squash, unescape, visible_outside_spoilers

HEADER = "\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below"


@pytest.mark.parametrize("style", ["tags", "cards"])
async def test_any_recap_text_posts_hidden_and_never_pings(harness: Harness, style: str) -> None:
    h = harness
    await severance(h)
    await recap_format(h, style)

    async def once(text: str) -> None:
        posted = await write_recap(h, "S2E3", text)
        assert posted
        for i, message in enumerate(posted):
            assert not message.pinged_everyone and not message.pinged_roles and not message.pinged_users
            if style == "cards":  # one blurred card each: only the header shows, on the first
                assert message.flags & IS_COMPONENTS_V2 and not message.content
                assert sum(len(t) for t in shown_texts(message.components)) <= TEXT_LIMIT
                assert not any(PING.search(t) for t in shown_texts(message.components))
                assert shown_texts(message.components, spoiler=False) == ([HEADER] if i == 0 else [])
                continue
            assert len(message.content) <= 2000
            assert not PING.search(message.content)
            outside = squash(unescape(visible_outside_spoilers(message.content)))
            assert outside == (squash(HEADER) if i == 0 else "")
        reply = await h.mod.slash("recap delete", episode="S2E3")
        await reply.wait_done()
        assert all(m.deleted for m in posted)
        assert not h.lb.violations, h.lb.violations

    pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.just("word " * 300))
    texts = (
        st.lists(pieces, min_size=1, max_size=20).map(lambda parts: "".join(parts)[:4000]).filter(str.strip)
    )

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(text=texts)
    def check(text: str) -> None:
        h.run(once(text))

    await h.in_thread(check)
