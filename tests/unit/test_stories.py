"""Which story a post joins: copies and reposts fold, strangers never do, however large the
index grows (a shared 32-bit sketch value alone is not enough)."""

from __future__ import annotations

import random
from dataclasses import replace

from chalicelib.policy.stories import (
    INDEXED_SKETCH_VALUES,
    JOIN_RESEMBLANCE,
    IndexEntry,
    alias_key,
    alias_stories,
    aliased_story,
    memberships,
    own_story,
    text_sketch,
)
from chalicelib.records import Mention, Report
from chalicelib.triage.identity import resemblance, sketch_keys
from tests.support import NOW, make_mention


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


def test_any_two_texts_similar_enough_to_join_share_one_of_their_indexed_sketch_values() -> None:
    """Only the smallest sketch values are indexed (a write unit each for every new post): any
    pair that would join must still meet on one of them, and dropping one more would lose pairs."""
    rng = random.Random(20261207)
    joinable = 0
    for _ in range(100_000):
        pool = rng.sample(range(40), rng.randint(2, 12))  # small values: pairs share many of them
        a = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(1, 4)))))
        b = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(1, 4)))))
        if resemblance(a, b) < JOIN_RESEMBLANCE:
            continue
        joinable += 1
        assert set(a[:INDEXED_SKETCH_VALUES]) & set(b[:INDEXED_SKETCH_VALUES]), (a, b)
    assert joinable > 10_000
    assert INDEXED_SKETCH_VALUES == 3
    # With one value fewer, a pair that joins would not meet: (1, 2, 3, 4) and (3, 4, 5, 6).
    a, b = (1, 2, 3, 4), (3, 4, 5, 6)
    assert resemblance(a, b) >= JOIN_RESEMBLANCE and not set(a[:2]) & set(b[:2])


def test_a_post_that_starts_a_story_indexes_three_sketch_values_and_its_story_is_its_mark() -> None:
    """Each index key is a write unit for every new post: a post that starts its own story writes
    no alias, because the story's id is derived from it; redelivered, the post finds that story
    and is not counted again."""
    signal = mention(1, "The crew at gate 12 were wonderful with my elderly mother today, thank you")
    joining, _, added = memberships([signal], {})
    assert sorted(added) == sorted(sketch_keys(text_sketch(signal)[:INDEXED_SKETCH_VALUES]))
    assert joining[signal.mention_id] == own_story(signal) == aliased_story(alias_key(signal.mention_id))
    assert alias_stories([signal], added) == [own_story(signal)]
    again, counted, more = memberships([signal], added, {own_story(signal)})
    assert not again and counted == {signal.mention_id: own_story(signal)} and not more


def test_a_post_that_joins_another_story_marks_its_alias() -> None:
    original = mention(1, "The crew at gate 12 were wonderful with my elderly mother today, thank you")
    copy = mention(2, "The crew at gate 12 were wonderful with my elderly mother today, thank you so much")
    _, _, index = memberships([original], {})
    joining, _, added = memberships([copy], index, {own_story(original)})
    assert joining[copy.mention_id] == own_story(original)
    assert added[alias_key(copy.mention_id)] == IndexEntry(own_story(original), member=True)
    again, counted, _ = memberships([copy], {**index, **added}, {own_story(original)})
    assert not again and counted == {copy.mention_id: own_story(original)}


def test_a_quote_after_the_post_joins_the_story_the_post_started_and_writes_no_alias_for_it() -> None:
    post = mention(1, "Our bags were left on the tarmac in the rain for an hour")
    quote = replace(mention(2, "Look at this, unbelievable"), cluster_key="p:" + post.mention_id)
    _, _, index = memberships([post], {})
    assert alias_stories([quote], index) == sorted({own_story(quote), own_story(post)})
    joining, _, added = memberships([quote], index, {own_story(post)})
    assert joining[quote.mention_id] == own_story(post)
    assert "p:" + post.mention_id not in added
    # In one batch, the quote right behind the post.
    joining, _, added = memberships([post, quote], {})
    assert joining[quote.mention_id] == joining[post.mention_id] == own_story(post)
    assert not [k for k in added if k.startswith("p:" + post.mention_id)]
    # Without the post's story (it never came, or it is gone), the quote starts its own.
    joining, _, added = memberships([quote], {})
    assert joining[quote.mention_id] == own_story(quote) and added["p:" + post.mention_id].cluster_id == own_story(
        quote
    )


def test_a_post_a_quote_indexed_first_joins_that_story_and_is_counted_once() -> None:
    """A quote can claim a post's alias before the post arrives: the post is not counted yet, it
    joins the quote's story and marks its alias; redelivered, it finds the mark and is not counted."""
    post = mention(1, "Our bags were left on the tarmac in the rain for an hour")
    quote = replace(mention(2, "Look at this, unbelievable"), cluster_key="p:" + post.mention_id)
    joining, counted, first = memberships([quote], {})
    alias = "p:" + post.mention_id
    assert not first[alias].member and not counted
    joining_post, counted, second = memberships([post], first)
    assert joining_post[post.mention_id] == joining[quote.mention_id] and not counted
    assert second[alias] == IndexEntry(joining[quote.mention_id], member=True)
    again, counted, third = memberships([post], {**first, **second})
    assert not again and counted == {post.mention_id: joining[quote.mention_id]} and not third


def test_a_report_is_counted_once_by_its_own_membership_key() -> None:
    report = Report(
        report_id="rep-1", channel="web", text="seen this?", received_at=NOW, urls=("https://x.com/someone/status/1",)
    )
    joining, _, added = memberships([report], {})
    assert added["member:rep-1"].member
    again, counted, _ = memberships([report], added)
    assert not again and counted == {"rep-1": joining["rep-1"]}
