"""Hypothesis entry point: ``st.from_type`` for the record types, registered when Hypothesis
loads rather than when this package is imported."""

from __future__ import annotations

from typing import Any


def _register_types() -> None:
    from hypothesis import strategies as st

    from .flex.models import Channel, FlexFlow

    # Resolved on first use, so Hypothesis' own import does not pay for building strategies.
    def channels(_: type[Any]) -> st.SearchStrategy[Any]:
        from .strategies import channels

        return channels()

    def flex_flows(_: type[Any]) -> st.SearchStrategy[Any]:
        from .strategies import flex_flows

        return flex_flows()

    st.register_type_strategy(Channel, channels)
    st.register_type_strategy(FlexFlow, flex_flows)
