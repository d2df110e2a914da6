"""The row/column label classifier: character n-grams with context, a calibrated linear model.

Classes are keys:

- rows ``table.row`` (``requests.denied.state_secret``, ``proactive.fees``, ...),
- columns ``col.<column>`` (``col.natural_person``, ``col.org_subtotal``, ...),
- group headings ``group.<name>`` (``group.denied``, ``group.org``, ...),
- ``none`` for text that is no label at all (notes, footers, prose).

An input is a ``LabelInput``: the label text, the context (the group label beside or above it),
the report section (二/三/四) and whether the caller saw it as a row or a column header. Features
are TF-IDF-weighted character 1-3-grams of the normalised text, the same of the context in their
own namespace, and one-hot section and kind. A multinomial logistic regression (scikit-learn)
gives probabilities; the held-out calibration is on the model card.

The estimator follows scikit-learn's conventions: ``__init__`` stores hyperparameters only,
``fit`` returns ``self``, learned state ends in ``_``. It is saved as plain JSON and a NumPy
``.npz`` (no pickle), with the versions it was made with; ``load`` refuses an artifact of another
format or scikit-learn version.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import sparse

from .errors import ModelError

FORMAT_VERSION = 1
MODEL_NAME = "labels"
DEFAULT_THRESHOLD = 0.5
SECTIONS = ("二", "三", "四")
KINDS = ("row", "column")


@dataclass(frozen=True)
class LabelInput:
    text: str
    context: str = ""
    section: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Prediction:
    key: str            # the class, or "unknown" below the threshold
    prob: float
    runner_up: str
    runner_up_prob: float
    best: str           # the top class even when ``key`` is "unknown"


_NUMBERING = re.compile(r"^[（(]?[一二三四五六七八九十\d]{1,3}[)）]?[、.．,，]?")


def normalise_label(text: str) -> str:
    """NFKC, no white space, lower case; keeps numbering (the model learns its variants)."""
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"\s+", "", t)
    return t.lower()


def _ngrams(text: str, n_min: int, n_max: int) -> Counter:
    t = f"^{text}$"
    c: Counter = Counter()
    for n in range(n_min, n_max + 1):
        for i in range(len(t) - n + 1):
            c[t[i:i + n]] += 1
    return c


class _NgramTfidf:
    """Character n-gram TF-IDF with sublinear tf and L2 norm (plain state, easy to save)."""

    def __init__(self, n_min=1, n_max=3, min_df=1):
        self.n_min, self.n_max, self.min_df = n_min, n_max, min_df

    def fit(self, texts):
        df: Counter = Counter()
        for t in texts:
            df.update(set(_ngrams(t, self.n_min, self.n_max)))
        vocab = sorted(g for g, n in df.items() if n >= self.min_df)
        self.vocabulary_ = {g: i for i, g in enumerate(vocab)}
        n = len(texts)
        self.idf_ = np.array([math.log((1 + n) / (1 + df[g])) + 1 for g in vocab])
        return self

    def transform(self, texts) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for i, t in enumerate(texts):
            if not t:
                continue
            feats = []
            for g, c in _ngrams(t, self.n_min, self.n_max).items():
                j = self.vocabulary_.get(g)
                if j is not None:
                    feats.append((j, (1 + math.log(c)) * self.idf_[j]))
            norm = math.sqrt(sum(v * v for _, v in feats)) or 1.0
            for j, v in feats:
                rows.append(i)
                cols.append(j)
                vals.append(v / norm)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.vocabulary_)))


class LabelClassifier:
    """Classify printed labels into row, column and group keys.

    Parameters
    ----------
    C : inverse regularisation strength of the logistic regression.
    context_weight : scale of the context block relative to the label block.
    threshold : probability below which ``predict`` answers ``unknown``.
    """

    def __init__(self, C: float = 50.0, context_weight: float = 0.5,
                 threshold: float = DEFAULT_THRESHOLD, max_iter: int = 300):
        self.C = C
        self.context_weight = context_weight
        self.threshold = threshold
        self.max_iter = max_iter

    # -- features ------------------------------------------------------------------------------
    def _features(self, X: list[LabelInput]) -> sparse.csr_matrix:
        texts = [normalise_label(x.text) for x in X]
        ctx = [normalise_label(x.context) for x in X]
        a = self.text_vec_.transform(texts)
        b = self.ctx_vec_.transform(ctx) * self.context_weight
        oh = np.zeros((len(X), len(SECTIONS) + len(KINDS)))
        for i, x in enumerate(X):
            if x.section in SECTIONS:
                oh[i, SECTIONS.index(x.section)] = 0.5
            if x.kind in KINDS:
                oh[i, len(SECTIONS) + KINDS.index(x.kind)] = 0.5
        return sparse.hstack([a, b, sparse.csr_matrix(oh)]).tocsr()

    # -- scikit-learn interface ----------------------------------------------------------------
    def fit(self, X: list[LabelInput], y: list[str]) -> "LabelClassifier":
        from sklearn.linear_model import LogisticRegression

        self.text_vec_ = _NgramTfidf(1, 3).fit([normalise_label(x.text) for x in X])
        self.ctx_vec_ = _NgramTfidf(1, 2, min_df=2).fit([normalise_label(x.context) for x in X])
        F = self._features(X)
        lr = LogisticRegression(C=self.C, max_iter=self.max_iter)
        lr.fit(F, y)
        self.classes_ = np.array(lr.classes_)
        self.coef_ = lr.coef_.astype(np.float32)
        self.intercept_ = lr.intercept_.astype(np.float32)
        return self

    def predict_proba(self, X: list[LabelInput]) -> np.ndarray:
        F = self._features(X)
        z = F @ self.coef_.T + self.intercept_
        z = np.asarray(z, dtype=np.float64)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def allowed_mask(self, section: str | None = None, kind: str | None = None) -> np.ndarray:
        """Which classes are possible for a caller that knows the section and/or kind."""
        return np.array([_allowed(c, section, kind) for c in self.classes_])

    def predict(self, X: list[LabelInput], restrict: bool = True) -> list[Prediction]:
        """Top class per input; ``unknown`` below the threshold. With ``restrict``, an input's
        section and kind narrow the classes it may take (probabilities renormalised)."""
        P = self.predict_proba(X)
        out = []
        for x, p in zip(X, P):
            if restrict and (x.section or x.kind):
                p = p * self.allowed_mask(x.section, x.kind)
                s = p.sum()
                p = p / s if s > 0 else p
            order = np.argsort(-p)
            best, second = order[0], order[1]
            key = str(self.classes_[best])
            prob = float(p[best])
            out.append(Prediction(key if prob >= self.threshold else "unknown", prob,
                                  str(self.classes_[second]), float(p[second]), key))
        return out

    # -- persistence ---------------------------------------------------------------------------
    def save(self, directory, metadata: dict | None = None) -> Path:
        import sklearn

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT_VERSION,
            "name": MODEL_NAME,
            "sklearn_version": sklearn.__version__,
            "params": {"C": self.C, "context_weight": self.context_weight,
                       "threshold": self.threshold, "max_iter": self.max_iter},
            "classes": [str(c) for c in self.classes_],
            "text_vocabulary": self.text_vec_.vocabulary_,
            "ctx_vocabulary": self.ctx_vec_.vocabulary_,
            "text_ngrams": [self.text_vec_.n_min, self.text_vec_.n_max],
            "ctx_ngrams": [self.ctx_vec_.n_min, self.ctx_vec_.n_max],
            "metadata": metadata or {},
        }
        (d / f"{MODEL_NAME}.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0),
                                             encoding="utf-8")
        np.savez_compressed(d / f"{MODEL_NAME}.npz", coef=self.coef_, intercept=self.intercept_,
                            text_idf=self.text_vec_.idf_, ctx_idf=self.ctx_vec_.idf_)
        return d / f"{MODEL_NAME}.json"

    @classmethod
    def load(cls, directory) -> "LabelClassifier":
        d = Path(directory)
        jp, npzp = d / f"{MODEL_NAME}.json", d / f"{MODEL_NAME}.npz"
        if not jp.exists() or not npzp.exists():
            raise ModelError(f"no trained label model in {d}; run `gkreport train` to build it")
        try:
            meta = json.loads(jp.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"{jp}: unreadable model file ({e}); run `gkreport train`") from e
        if meta.get("format") != FORMAT_VERSION:
            raise ModelError(f"{jp}: model format {meta.get('format')!r}, this gkreport reads "
                             f"format {FORMAT_VERSION}; run `gkreport train` to rebuild it")
        installed = sklearn_version()
        if meta.get("sklearn_version") != installed:
            raise ModelError(f"{jp}: model made with scikit-learn {meta.get('sklearn_version')}, "
                             f"but {installed} is installed; install scikit-learn=="
                             f"{meta.get('sklearn_version')} or run `gkreport train`")
        p = meta["params"]
        self = cls(C=p["C"], context_weight=p["context_weight"], threshold=p["threshold"],
                   max_iter=p["max_iter"])
        with np.load(npzp, allow_pickle=False) as z:
            self.coef_ = z["coef"]
            self.intercept_ = z["intercept"]
            text_idf, ctx_idf = z["text_idf"], z["ctx_idf"]
        self.classes_ = np.array(meta["classes"])
        self.text_vec_ = _NgramTfidf(*meta["text_ngrams"])
        self.text_vec_.vocabulary_ = meta["text_vocabulary"]
        self.text_vec_.idf_ = text_idf
        self.ctx_vec_ = _NgramTfidf(*meta["ctx_ngrams"])
        self.ctx_vec_.vocabulary_ = meta["ctx_vocabulary"]
        self.ctx_vec_.idf_ = ctx_idf
        if self.coef_.shape != (len(self.classes_), len(self.text_vec_.vocabulary_)
                                + len(self.ctx_vec_.vocabulary_) + len(SECTIONS) + len(KINDS)):
            raise ModelError(f"{npzp}: arrays do not match {jp}; run `gkreport train`")
        self.metadata_ = meta.get("metadata", {})
        return self


def sklearn_version() -> str | None:
    """The installed scikit-learn's version, read from its metadata (importing scikit-learn
    costs seconds, and prediction does not need it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return None


def _allowed(cls_key: str, section: str | None, kind: str | None) -> bool:
    if cls_key == "none":
        return True
    head = cls_key.split(".", 1)[0]
    if kind == "column" and head not in ("col", "group"):
        # section 四 prints its row groups as column headers
        if not (section in (None, "四") and head == "review_litigation"):
            return False
    if kind == "row" and head == "col":
        return False
    if section:
        table = {"二": "proactive", "三": "requests", "四": "review_litigation"}[section]
        if head in ("proactive", "requests", "review_litigation") and head != table:
            return False
        if head == "col" and cls_key[4:] not in SECTION_COLUMNS[section]:
            return False
        if head == "group" and cls_key[6:] not in SECTION_GROUPS[section]:
            return False
    return True


SECTION_COLUMNS = {
    "二": {"issued", "repealed", "in_force", "new_made", "new_published", "total_published",
          "prev_year_items", "change", "decisions", "amount", "items"},
    "三": {"natural_person", "business", "research", "nonprofit", "legal_services", "other_org",
          "total", "org_subtotal"},
    "四": {"upheld", "corrected", "other", "pending", "total"},
}
SECTION_GROUPS = {
    "二": {"info_content", "article"},
    "三": {"results", "denied", "unavailable", "not_processed", "org", "applicant"},
    "四": {"litigation"},
}


def default_model_dir() -> Path:
    return Path(str(resources.files("extract.models")))


@lru_cache(maxsize=4)
def load_default(directory: str | None = None) -> LabelClassifier:
    """The shipped model, loaded once per process."""
    return LabelClassifier.load(directory or default_model_dir())
