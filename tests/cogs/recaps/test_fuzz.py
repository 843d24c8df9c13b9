"""Any recap text, posted through the loopback: hidden, balanced, short enough, never pinging."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cogs.support import severance, write_recap
from tests.harness import Harness
from tests.support import NASTY, PING, squash, unescape, visible_outside_spoilers

HEADER = "\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below"


async def test_any_recap_text_posts_hidden_and_never_pings(harness: Harness) -> None:
    h = harness
    await severance(h)

    async def once(text: str) -> None:
        posted = await write_recap(h, "S2E3", text)
        assert posted
        for i, message in enumerate(posted):
            assert len(message.content) <= 2000
            assert not message.pinged_everyone and not message.pinged_roles and not message.pinged_users
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
