"""`make model`: the GoEmotions sentiment model triage ships (chalicelib/triage/goemotions.json).

GoEmotions (Demszky et al., ACL 2020; Google Research; CC BY 4.0) is 58k Reddit comments labelled
with 27 emotions; its authors group them as positive, negative and ambiguous. A comment with a
positive emotion and no negative one is positive, the reverse negative, neutral (or only
ambiguous ones: surprise, curiosity) neutral; comments with both are left out. The model is a
logistic regression over the comment's words and word pairs as triage tokenizes them (lower
case, no links, no handles), trained on the authors' train split only; the development sets
are never seen. Only the words that weigh most are kept (`KEEP`), weights rounded: the file stays
small and reading a post is a few dictionary lookups. Deterministic: the same data gives the same
file. Needs scikit-learn (requirements-train.txt), which the product does not."""

from __future__ import annotations

import csv
import json
import sys

from bench.harness import DATA_DIR, ROOT

GOEMOTIONS = DATA_DIR / "goemotions"
OUT = ROOT / "chalicelib" / "triage" / "goemotions.json"
KEEP = 4000  # features by their largest weight; 2,000-20,000 measured within 0.002 macro-F1
C = 0.5
MIN_COMMENTS = 3  # a word or pair in fewer training comments says nothing


def _labelled(split: str) -> tuple[list[str], list[str]]:
    emotions = (GOEMOTIONS / "emotions.txt").read_text(encoding="utf-8").split()
    groups = json.loads((GOEMOTIONS / "sentiment_mapping.json").read_text(encoding="utf-8"))
    positive = {emotions.index(e) for e in groups["positive"]}
    negative = {emotions.index(e) for e in groups["negative"]}
    texts, labels = [], []
    with (GOEMOTIONS / f"{split}.tsv").open(newline="", encoding="utf-8") as handle:
        for text, ids, _ in csv.reader(handle, delimiter="\t"):
            found = {int(i) for i in ids.split(",")}
            pos, neg = bool(found & positive), bool(found & negative)
            if pos and neg:
                continue
            texts.append(text)
            labels.append("positive" if pos else "negative" if neg else "neutral")
    return texts, labels


def main() -> int:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    from chalicelib.triage.goemotions import features

    if not (GOEMOTIONS / "train.tsv").exists():
        print(f"GoEmotions not found in {GOEMOTIONS}", file=sys.stderr)
        return 1
    texts, labels = _labelled("train")
    vectorizer = CountVectorizer(analyzer=features, min_df=MIN_COMMENTS, binary=True)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=C, max_iter=3000).fit(matrix, labels)
    names = vectorizer.get_feature_names_out()
    weights = model.coef_.T  # feature x class
    strongest = sorted(range(len(names)), key=lambda i: (-abs(weights[i]).max(), names[i]))[:KEEP]
    dev_texts, dev_labels = _labelled("dev")
    accuracy = model.score(vectorizer.transform(dev_texts), dev_labels)
    doc = {
        "_source": (
            "Trained by bench/train_sentiment.py on GoEmotions (Demszky et al., ACL 2020, Google Research; "
            "CC BY 4.0), train split: see goemotions-LICENSE.md"
        ),
        "classes": [str(c) for c in model.classes_],
        "bias": [round(float(b), 4) for b in model.intercept_],
        "weights": {
            str(names[i]): [round(float(w), 3) for w in weights[i]] for i in sorted(strongest, key=names.__getitem__)
        },
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":"), sort_keys=False) + "\n", encoding="utf-8")
    print(
        f"{len(texts)} comments, {len(names)} features, {KEEP} kept; dev accuracy {accuracy:.3f} "
        f"(all features); wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
