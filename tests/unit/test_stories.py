"""Which story a post joins: copies and reposts fold, strangers never do, however large the
index grows (a shared 32-bit sketch value alone is not enough)."""

from __future__ import annotations

import random

from chalicelib.policy.stories import IndexEntry, memberships, text_sketch
from chalicelib.records import Mention
from chalicelib.triage.identity import resemblance, sketch_keys
from tests.support import make_mention


def mention(n: int, text: str) -> Mention:
    return make_mention(n, text, triaged=False)


def test_two_hundred_thousand_unrelated_texts_join_no_strangers_story() -> None:
    rng = random.Random(20261130)
    texts = [
        "flight " + " ".join(f"{rng.getrandbits(24):06x}" for _ in range(7)) for _ in range(200_000)
    ]  # the shape that once folded strangers: "flight 50eeef 3c6742 ..."
    signals = [mention(n, t) for n, t in enumerate(texts)]
    joining, counted, index = memberships(signals, {})
    assert not counted
    assert len(set(joining.values())) == len(signals)  # every text its own story
    # Collisions on single 32-bit sketch values do happen at this size: they are refused, not joined.
    owners: dict[str, str] = {}
    shared = 0
    for signal in signals:
        for key in sketch_keys(text_sketch(signal)):
            if key in owners and owners[key] != signal.mention_id:
                shared += 1
            owners.setdefault(key, signal.mention_id)
    assert shared > 0
    assert all(e.cluster_id.startswith("c") for e in index.values())


def test_copies_with_a_few_words_changed_still_fold() -> None:
    campaign = "Stop the brand's new baggage fee now, it hurts families who travel with kids every summer"
    copies = [
        campaign,
        campaign.replace("now", "today"),
        "RT @org: " + campaign,
        campaign + " #fairfares",
        campaign.replace("every summer", "each summer"),
    ]
    signals = [mention(n, t) for n, t in enumerate(copies)]
    joining, _, _ = memberships(signals, {})
    assert len(set(joining.values())) == 1


def test_a_story_from_another_batch_is_joined_only_when_similar() -> None:
    original = mention(1, "The crew at gate 12 were wonderful with my elderly mother today, thank you")
    own = text_sketch(original)
    index = {k: IndexEntry("c-story", own) for k in sketch_keys(own)}
    copy = mention(2, "The crew at gate 12 were wonderful with my elderly mother today, thank you so much")
    stranger_sketch = (own[0], 1, 2, 3)  # one value shared by chance, nothing else
    assert resemblance(own, text_sketch(copy)) >= 0.5 and resemblance(own, stranger_sketch) < 0.5
    joining, _, _ = memberships([copy], index)
    assert joining[copy.mention_id] == "c-story"
    unrelated = mention(3, "Lost my bag twice this month and nobody answers the phone")
    collided = {sketch_keys(text_sketch(unrelated))[0]: IndexEntry("c-other", stranger_sketch)}
    joining, _, added = memberships([unrelated], collided)
    assert joining[unrelated.mention_id] != "c-other"
    assert sketch_keys(text_sketch(unrelated))[0] not in added  # the stranger keeps its key
