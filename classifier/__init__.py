"""rsiwatch classifier: TF-IDF + a linear model that ranks items as examples of AI improving AI.

The public API other packages call; see model.py for the recipe and calibration.py for the score scale.
Names are imported on first use (PEP 562): scoring needs numpy only, while training and evaluation
pull in scikit-learn, which costs about a second of start-up that `rsiwatch status` should not pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOME = {
    "DECADES": "calibration",
    "CATEGORY_SLUGS": "labels",
    "HeldOut": "crossval", "catalog_heldout_scores": "crossval",
    "DataFileError": "docs", "Doc": "docs", "TrainingSet": "docs", "load_catalog_csv": "docs",
    "load_jsonl_docs": "docs",
    "evaluate_files": "evaluate",
    "FeatureParams": "features",
    "DEFAULT_THRESHOLD": "labels", "Model": "model", "Scored": "model", "TrainParams": "model", "train": "model",
}

__all__ = sorted([*_HOME, "metrics"])  # noqa: PLE0605 - built from _HOME, the one list of the names

# `metrics` is both a submodule and the function it defines: bind the function now, or the import
# system would leave the module under that name once any sibling imports it.
from .metrics import metrics as metrics  # noqa: E402

if TYPE_CHECKING:
    from .calibration import DECADES as DECADES
    from .crossval import HeldOut as HeldOut, catalog_heldout_scores as catalog_heldout_scores
    from .docs import (
        DataFileError as DataFileError,
        Doc as Doc,
        TrainingSet as TrainingSet,
        load_catalog_csv as load_catalog_csv,
        load_jsonl_docs as load_jsonl_docs,
    )
    from .evaluate import evaluate_files as evaluate_files
    from .features import FeatureParams as FeatureParams
    from .labels import CATEGORY_SLUGS as CATEGORY_SLUGS, DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
    from .model import Model as Model, Scored as Scored, TrainParams as TrainParams, train as train


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'classifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value
