"""The embedding runtimes: auto (the default) picks onnx, which agrees with torch; onnx-int8 mostly does."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from index.embed import RUNTIMES, Embedder, ModelUnavailable
from index.service import CrisisService
from tests.helpers import make_settings

QUESTIONS = [
    "Who did Blinken write to proposing a meeting?",
    "What did Boris Johnson accuse Russia of?",
    "Who was expelled from the US embassy in Moscow?",
    "What happened to the kindergarten in Stanytsia Luhanska?",
    "What are the conditions of the Minsk agreement?",
    "Is Russia withdrawing its troops?",
]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    """A private export cache, so the test exercises the export and never touches the user's or the session's."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_embedder(onnx_cache) -> Embedder:
    model = Embedder(backend="onnx", onnx_cache=onnx_cache)
    model.load()
    return model


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    model = Embedder(backend="torch")
    model.load()
    return model


@pytest.fixture(scope="module")
def torch_service(torch_embedder, built_data_dir) -> CrisisService:
    return CrisisService(make_settings(built_data_dir, backend="torch"), embedder=torch_embedder)


@pytest.fixture(scope="module")
def int8_embedder(onnx_cache) -> Embedder:
    model = Embedder(backend="onnx-int8", onnx_cache=onnx_cache)
    model.load()
    return model


def top5(service: CrisisService, question: str) -> list[int]:
    _, _, passages = service.retrieve(question, 5)
    return [p.id for p in passages]


def test_the_default_runtime_is_onnx(embedder, shared_service):
    assert embedder.backend == "auto" and embedder.runtime == "onnx"
    assert shared_service.stats()["runtime"] == "onnx"
    assert type(embedder.model).__name__ == "OnnxSentenceEncoder"


def test_onnx_export_is_cached_and_matches_torch_vectors(onnx_embedder, torch_embedder, onnx_cache):
    assert list(onnx_cache.glob("*/model.onnx")), "the export was not written to the cache"
    assert onnx_embedder.dimension == torch_embedder.dimension == 384
    assert torch_embedder.runtime == "torch" and onnx_embedder.runtime == "onnx"
    texts = ["Blinken wrote to Lavrov.", "A much longer sentence about the Minsk agreements and the OSCE monitors in Donbas."]
    cosines = np.sum(onnx_embedder.encode(texts) * torch_embedder.encode(texts), axis=1)
    assert np.all(cosines > 0.999)
    vectors = onnx_embedder.encode(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batched with padding or alone: the same vector.
    assert np.allclose(onnx_embedder.encode_one(texts[0]), vectors[0], atol=1e-5)


def test_the_export_is_eager_attention_in_a_folder_named_for_its_format(onnx_embedder, onnx_cache):
    """Format 2 exports transformers' eager attention (an additive mask built once), not SDPA's graph,
    which masks every layer's scores with ``Where`` and ran about 12 % slower here; an older export is not reused."""
    import onnx

    from index.embed.onnx_export import EXPORT_FORMAT

    (model_file,) = onnx_cache.glob("*/model.onnx")
    assert EXPORT_FORMAT == 2 and model_file.parent.name.endswith("-e2")
    ops = [node.op_type for node in onnx.load(str(model_file)).graph.node]
    assert ops.count("Softmax") == 6  # one attention per layer
    assert ops.count("Where") <= 2, "the mask is built once, not applied with Where in every layer (SDPA's graph has 13)"


def test_onnx_agrees_with_torch_on_top5(onnx_embedder, torch_service, built_data_dir):
    onnx_service = CrisisService(make_settings(built_data_dir, backend="onnx"), embedder=onnx_embedder)
    for question in QUESTIONS:
        assert top5(onnx_service, question) == top5(torch_service, question), question


def test_an_index_built_by_one_runtime_serves_the_other(torch_embedder, tmp_path, shared_service):
    """The runtime is not part of the index: torch-built vectors answer onnx questions the same."""
    torch_built = CrisisService(make_settings(tmp_path / "data", backend="torch"), embedder=torch_embedder)
    torch_built.build()
    for question in QUESTIONS:
        assert top5(torch_built, question) == top5(shared_service, question), question


def test_int8_mostly_agrees_with_torch_on_top5(int8_embedder, torch_service, built_data_dir, onnx_cache):
    assert list(onnx_cache.glob("*/model_int8.onnx"))
    int8_service = CrisisService(make_settings(built_data_dir, backend="onnx-int8"), embedder=int8_embedder)
    overlaps = [len(set(top5(int8_service, q)) & set(top5(torch_service, q))) / 5 for q in QUESTIONS]
    assert np.mean(overlaps) >= 0.8, overlaps
    answer = int8_service.ask(QUESTIONS[0])
    assert "Lavrov" in answer.answer


def test_settings_backend_reaches_the_embedder(tmp_path):
    service = CrisisService(make_settings(tmp_path / "data", backend="onnx-int8"))
    assert service.embedder.backend == "onnx-int8"


def test_unknown_backend_and_non_local_model_are_clear_errors(onnx_cache):
    with pytest.raises(ModelUnavailable, match="unknown embedding backend"):
        Embedder(backend="tensorrt")
    with pytest.raises(ModelUnavailable, match="local sentence-transformers folder"):
        Embedder("some-org/not-a-local-model", backend="onnx", onnx_cache=onnx_cache).load()


def test_auto_falls_back_to_torch_when_onnx_cannot_serve_the_model(tmp_path, onnx_cache):
    """A model folder without tokenizer.json (older sentence-transformers saves) cannot use the
    onnx path; auto serves it with torch instead of failing."""
    from index.embed import resolve_model

    source, _ = resolve_model("bundled")
    folder = tmp_path / "older-model"
    shutil.copytree(source, folder)
    (folder / "tokenizer.json").unlink()
    model = Embedder(str(folder), onnx_cache=onnx_cache)
    assert model.backend == "auto"
    model.load()
    assert model.runtime == "torch"
    assert model.encode(["Blinken wrote to Lavrov."]).shape == (1, 384)
    with pytest.raises(ModelUnavailable, match="tokenizer.json"):
        Embedder(str(folder), backend="onnx", onnx_cache=onnx_cache).load()


def test_auto_on_a_non_cpu_device_means_torch():
    """onnxruntime runs on the CPU here; a GPU device keeps the torch runtime (no model is loaded)."""
    model = Embedder(device="cuda")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(RUNTIMES, "torch", lambda source, options: f"torch model on {options.device}")
        patch.setitem(RUNTIMES, "onnx", lambda source, options: pytest.fail("onnx chosen for a cuda device"))
        assert model.model == "torch model on cuda"
    assert model.runtime == "torch"


def test_the_onnx_cache_defaults_to_the_environment_and_can_be_given(tmp_path, monkeypatch):
    """CRISISBOT_ONNX_CACHE (else the user cache) is read in one place, when an Embedder is made without one."""
    monkeypatch.setenv("CRISISBOT_ONNX_CACHE", str(tmp_path / "from-env"))
    assert Embedder().onnx_cache == tmp_path / "from-env"
    assert Embedder(onnx_cache=tmp_path / "given").onnx_cache == tmp_path / "given"
    monkeypatch.delenv("CRISISBOT_ONNX_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Embedder().onnx_cache == tmp_path / "xdg" / "crisisbot" / "onnx"
