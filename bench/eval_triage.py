"""`make eval`: triage against the human labels of the airline tweets (../shared/data/airline,
read from beside the checkout, never copied into the project).

The source replaced "late" with "Late Flight", "cancel" with "Cancelled Flight" and "booking"
with "Flight Booking Problems" in the text; those are undone first, or a classifier would be
reading the labels' own words."""

from __future__ import annotations

from collections import Counter

from bench import airline
from bench.harness import Figure

CLASSES = ("negative", "neutral", "positive")
REASON_TO_DEPARTMENT = {
    "Customer Service Issue": "customer-care",
    "Late Flight": "operations",
    "Cancelled Flight": "operations",
    "Lost Luggage": "baggage",
    "Damaged Luggage": "baggage",
    "Bad Flight": "inflight",
    "Flight Attendant Complaints": "inflight",
    "Flight Booking Problems": "digital",
    "longlines": "airport",
}
_UNDO = (("Cancelled Flight", "cancel"), ("Late Flight", "late"), ("Flight Booking Problems", "booking"))


def undo_replacements(text: str) -> str:
    for replaced, original in _UNDO:
        text = text.replace(replaced, original)
    return text


def macro_f1(gold: list[str], predicted: list[str]) -> tuple[float, dict[str, float]]:
    per = {}
    for c in CLASSES:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == c)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == c and g != c)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == c and p != c)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per[c] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return sum(per.values()) / len(per), per


def run() -> list[Figure]:
    if not airline.available():
        return []
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from chalicelib.triage import sentiment
    from chalicelib.triage.taxonomy import default_taxonomy

    rows = airline.rows()
    texts = [undo_replacements(r["text"]) for r in rows]
    gold = [r["airline_sentiment"] for r in rows]
    plain = SentimentIntensityAnalyzer()

    def vader_label(text: str) -> str:
        score = plain.polarity_scores(text)["compound"]
        return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"

    ours_f1, ours_per = macro_f1(gold, [sentiment.analyse(t).label for t in texts])
    vader_f1, _ = macro_f1(gold, [vader_label(t) for t in texts])

    taxonomy = default_taxonomy()
    labelled = [
        (REASON_TO_DEPARTMENT[r["negativereason"]], t)
        for r, t in zip(rows, texts, strict=True)
        if r["negativereason"] in REASON_TO_DEPARTMENT
    ]
    predicted = []
    for _, text in labelled:
        hits = taxonomy.departments(text)
        predicted.append(hits[0].department if hits else "customer-care")  # the triage fallback for complaints
    pairs = Counter(zip((g for g, _ in labelled), predicted, strict=True))
    accuracy = sum(pairs[(d, d)] for d in set(REASON_TO_DEPARTMENT.values())) / len(labelled)
    report = []
    for d in sorted(set(REASON_TO_DEPARTMENT.values())):
        tp = pairs[(d, d)]
        fp = sum(v for (g, p), v in pairs.items() if p == d and g != d)
        fn = sum(v for (g, p), v in pairs.items() if g == d and p != d)
        report.append(f"{d} P {tp / (tp + fp) if tp + fp else 0:.2f} R {tp / (tp + fn) if tp + fn else 0:.2f}")
    return [
        Figure(
            "sentiment_macro_f1",
            round(ours_f1, 3),
            "f1",
            round(vader_f1, 3),
            round(ours_f1 / vader_f1, 3),
            "value >= 0.60",
            f"ratio is ours / plain VADER ({vader_f1:.3f}) on the same texts; per class "
            + ", ".join(f"{c} {v:.2f}" for c, v in ours_per.items()),
        ),
        Figure(
            "department_accuracy",
            round(accuracy, 3),
            "acc",
            1.0,
            round(accuracy, 3),
            "value >= 0.0",  # no target set: reported with per-department precision and recall
            f"{len(labelled)} negative tweets with a reason; " + "; ".join(report),
        ),
    ]
