"""The Recommended list: the catalogue, its ranking by fit for fixed RAM and GPU figures, and the Hub's real
sizes replacing the estimates (the real huggingface_hub client against the local Hub server)."""
from __future__ import annotations

import socket

from app.core import fit, quant_advice, recommended_fit
from app.core.gpu import GpuMemory
from app.core.hub import HubClient
from app.core.hub_files import HubFile, check_repo_id, choices, quant_label
from app.core.load_options import LoadOptions
from app.core.recommended import CATALOGUE, FAMILIES, by_repo
from tests.hub_server import INFO, Fault

GB = 1_000_000_000


def judge_for(available: float, total: float = 32 * GB, gpu: GpuMemory | None = None):
    """The model controller's check (``fit_of``) with fixed figures: default load options, this RAM, this GPU."""
    return lambda info: fit.judge_options(info, LoadOptions(), int(available), int(total), gpu)


def names(picks) -> list[str]:
    return [p.model.name for p in picks]


def test_the_catalogue_holds_each_family_with_sound_repo_and_file_names():
    assert {m.family for m in CATALOGUE} == set(FAMILIES)
    assert len({m.repo_id for m in CATALOGUE}) == len(CATALOGUE)
    for model in CATALOGUE:
        check_repo_id(model.repo_id)
        assert model.quants and set(model.quants) <= set(quant_advice.PREFERRED)
        for quant in model.quants:
            assert quant_label(model.file_name(quant)) == quant  # the listing's parser reads the quant back
        assert model.good_at and "\n" not in model.good_at
    restricted = {m.family for m in CATALOGUE if m.licence}
    assert {"Llama", "Gemma"} <= restricted and "Mistral" not in restricted and "SmolLM" not in restricted


def test_ranked_for_8_gb_free_fits_first_largest_first_and_too_big_marked():
    picks = recommended_fit.recommend(judge_for(8 * GB, 16 * GB))
    assert len(picks) == len(CATALOGUE)
    order = [(fit.VERDICTS.index(p.verdict), p.verdict == fit.FITS and not p.quick) for p in picks]
    assert order == sorted(order)  # quick fits, fits slow here, then tight, then won't fit
    fitting = [p for p in picks if p.verdict == fit.FITS]
    quick = [p for p in fitting if p.quick]
    assert [p.model.parameters for p in quick] == sorted((p.model.parameters for p in quick), reverse=True)
    assert {"Qwen3 8B", "Llama 3.1 8B Instruct", "Mistral 7B Instruct v0.3"} <= set(names(fitting))
    too_big = {p.model.name for p in picks if p.verdict == fit.WONT_FIT}
    assert "Qwen3 14B" in too_big and "Gemma 3 12B it" in too_big
    assert all(p.estimated for p in picks)  # nothing listed: every size is an estimate
    for p in picks:
        # The quant is the largest of the repo's preferred ones that fits comfortably and stays quick on the
        # CPU; else the smallest that fits comfortably; a model that fits none is offered at its smallest.
        judged = {c.label: recommended_fit.pick(p.model, judge_for(8 * GB, 16 * GB), [c])
                  for c in recommended_fit.estimated_choices(p.model)}
        comfortable = [q for q in p.model.quants if judged[q].verdict == fit.FITS]
        quick = [q for q in comfortable if judged[q].quick]
        expected = quick[-1] if quick else (comfortable[0] if comfortable else p.model.quants[0])
        assert p.choice.label == expected, p.model.name


def test_more_memory_moves_larger_models_and_quants_up():
    small = {p.model.name: p for p in recommended_fit.recommend(judge_for(4 * GB, 8 * GB))}
    large = {p.model.name: p for p in recommended_fit.recommend(judge_for(24 * GB, 32 * GB))}
    assert small["Qwen3 8B"].verdict == fit.WONT_FIT and large["Qwen3 8B"].verdict == fit.FITS
    assert small["Qwen3 4B"].choice.label == "Q4_K_M" and large["Qwen3 4B"].choice.label == "Q8_0"
    assert small["SmolLM2 360M Instruct"].verdict == fit.FITS
    # Qwen3 14B fits in 24 GB, but the CPU would read 9 GB of weights per token: after the quick ones, marked
    first = recommended_fit.recommend(judge_for(24 * GB, 32 * GB))[0]
    assert first.model.name == "Qwen3 8B" and first.choice.label == "Q4_K_M" and first.quick
    assert large["Qwen3 14B"].verdict == fit.FITS and not large["Qwen3 14B"].quick
    assert large["Qwen3 14B"].choice.label == "Q4_K_M"  # slow whatever the quant: the least slow


def test_a_gpu_that_holds_the_whole_model_makes_it_quick_at_its_best_quant():
    gpu = GpuMemory("Test GPU", 24 * GB, 24 * GB)
    first = recommended_fit.recommend(judge_for(24 * GB, 32 * GB, gpu))[0]
    assert (first.model.name, first.choice.label) == ("Qwen3 14B", "Q8_0")
    assert first.fit.gpu_layers == first.fit.layers and first.cpu_bytes == 0 and first.quick


def test_a_gpu_takes_layers_so_a_model_too_big_for_ram_fits():
    ram_only = {p.model.name: p for p in recommended_fit.recommend(judge_for(6 * GB, 16 * GB))}
    gpu = GpuMemory("Test GPU", 12 * GB, 12 * GB)
    with_gpu = {p.model.name: p for p in recommended_fit.recommend(judge_for(6 * GB, 16 * GB, gpu))}
    assert ram_only["Qwen3 14B"].verdict == fit.WONT_FIT
    assert with_gpu["Qwen3 14B"].verdict == fit.FITS and with_gpu["Qwen3 14B"].fit.gpu_layers > 0


def test_estimates_are_parameters_times_bits_per_weight_and_real_sizes_replace_them():
    model = by_repo("Qwen/Qwen3-8B-GGUF")
    [estimate] = [c for c in recommended_fit.estimated_choices(model) if c.label == "Q4_K_M"]
    assert estimate.size == int(8.2e9 * 4.9 / 8)
    listed = {model.repo_id: choices([HubFile("Qwen3-8B-Q4_K_M.gguf", 5_027_783_488, "a" * 64),
                                      HubFile("Qwen3-8B-Q8_0.gguf", 8_709_518_624, "b" * 64),
                                      HubFile("Qwen3-8B-F16.gguf", 16_388_044_064, "c" * 64)])}
    picks = {p.model.repo_id: p for p in recommended_fit.recommend(judge_for(16 * GB), listed)}
    real = picks[model.repo_id]
    # Q8_0 fits in 16 GB, but the CPU would read 8.7 GB per token: Q4_K_M, from the real listing
    assert not real.estimated and real.choice.label == "Q4_K_M" and real.choice.size == 5_027_783_488
    assert all(p.estimated for repo, p in picks.items() if repo != model.repo_id)
    gpu = GpuMemory("Test GPU", 16 * GB, 16 * GB)
    on_gpu = {p.model.repo_id: p for p in recommended_fit.recommend(judge_for(16 * GB, 32 * GB, gpu), listed)}
    assert on_gpu[model.repo_id].choice.label == "Q8_0"  # on a GPU it is quick: the best preferred, not F16


def test_the_hub_listing_gives_real_sizes_and_a_missing_repo_keeps_its_estimate(hub, smollm_path, gemma_path):
    hub.add_repo("bartowski/google_gemma-3-1b-it-GGUF", {"google_gemma-3-1b-it-Q4_K_M.gguf": smollm_path,
                                                         "google_gemma-3-1b-it-Q8_0.gguf": gemma_path})
    hub.add_repo("HuggingFaceTB/SmolLM2-360M-Instruct-GGUF", {"smollm2-360m-instruct-q8_0.gguf": smollm_path})
    found, problem = recommended_fit.list_catalogue(HubClient(hub.url))
    assert problem is None  # the other repos answered "not found": not a reason to stop
    assert set(found) == {"bartowski/google_gemma-3-1b-it-GGUF", "HuggingFaceTB/SmolLM2-360M-Instruct-GGUF"}
    assert hub.state.routes.count(INFO) == len(CATALOGUE)  # each repo asked once
    picks = {p.model.repo_id: p for p in recommended_fit.recommend(judge_for(8 * GB), found)}
    gemma = picks["bartowski/google_gemma-3-1b-it-GGUF"]
    assert not gemma.estimated and gemma.choice.size == gemma_path.stat().st_size
    assert picks["Qwen/Qwen3-8B-GGUF"].estimated


def test_offline_the_listing_stops_at_the_first_failure():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here now
    found, problem = recommended_fit.list_catalogue(HubClient(f"http://127.0.0.1:{port}"))
    assert found == {} and problem.kind == "offline" and "offline" in problem.message


def test_a_hub_that_limits_requests_is_not_asked_for_every_repo(hub, smollm_path):
    hub.add_repo("HuggingFaceTB/SmolLM2-360M-Instruct-GGUF", {"smollm2-360m-instruct-q8_0.gguf": smollm_path})
    hub.fail_next(INFO, Fault("status", status=429, headers={"Retry-After": "3600"}))
    found, problem = recommended_fit.list_catalogue(HubClient(hub.url))
    assert problem.kind == "rate limited" and found == {}
    assert hub.state.routes.count(INFO) == 1  # the first refusal ended the round


def test_the_file_list_recommends_a_preferred_quant_over_a_larger_one_that_also_fits():
    model = by_repo("bartowski/Llama-3.2-1B-Instruct-GGUF")
    offered = choices([HubFile(model.file_name(q), size, "a" * 64) for q, size in
                       (("Q4_K_M", 807_694_464), ("Q6_K", 1_021_800_512), ("Q8_0", 1_321_083_008),
                        ("F16", 2_479_595_456))])
    header = recommended_fit.header_for(model, offered[0].size)
    plenty = quant_advice.advise(offered, header, judge_for(32 * GB))
    assert {a.choice.label for a in plenty if a.fit.verdict == fit.FITS} == {"Q4_K_M", "Q6_K", "Q8_0", "F16"}
    assert quant_advice.recommended(plenty).label == "Q8_0"  # F16 costs twice the memory for no difference
    only_odd = [a for a in plenty if a.choice.label in ("Q6_K", "F16")]
    assert quant_advice.recommended(only_odd).label == "F16"  # no preferred quant on offer: the largest that fits
