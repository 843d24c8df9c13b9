"""bot/ui.py: every form and button view must say how it re-checks at submit time."""

from __future__ import annotations

import pytest

from bot.ui import Pager, ReportingModal, ReportingView


def test_a_form_or_view_without_a_recheck_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match="must define recheck"):

        class Careless(ReportingModal, title="Careless"):
            pass

    with pytest.raises(TypeError, match="must define recheck"):

        class CarelessView(ReportingView):
            pass

    class Fine(Pager):  # a pager's recheck is inherited: every page is read afresh
        pass
