"""rsiwatch classifier: TF-IDF + a linear model that ranks items as examples of AI improving AI.

The public API other packages call; see model.py for the recipe and calibration.py for the score scale.
"""

from .calibration import DECADES
from .categories import CATEGORY_SLUGS
from .docs import DataFileError, Doc, TrainingSet, load_catalog_csv, load_jsonl_docs
from .evaluate import evaluate_files
from .features import FeatureParams
from .metrics import metrics
from .model import DEFAULT_THRESHOLD, Model, Scored, TrainParams, train

__all__ = [
    "CATEGORY_SLUGS", "DECADES", "DEFAULT_THRESHOLD", "DataFileError", "Doc", "FeatureParams", "Model",
    "Scored", "TrainParams", "TrainingSet", "evaluate_files", "load_catalog_csv", "load_jsonl_docs",
    "metrics", "train",
]
