"""`facebridge bench` produces the documented JSON keys (models: the test double; timing values not asserted)."""

from __future__ import annotations

import json

from test_pipeline_doubles import LabelModels

import bridge.app.assemble as assemble_module
from bridge.cli import main


def test_bench_json_has_the_documented_keys(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(assemble_module, "load_models", lambda config: LabelModels())
    out = tmp_path / "bench.json"
    assert main(["bench", "--seconds", "1", "--pool", "3", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data["end_to_end_ms"]) == {"p50", "p99"}
    assert data["end_to_end_ms"]["p50"] > 0 and data["end_to_end_ms"]["p99"] >= data["end_to_end_ms"]["p50"]
    for stage in ("quality", "preprocess", "models", "tracking", "retarget", "outputs",
                  "output_facebridge", "output_vmc", "output_vrchat"):
        assert set(data["stages_ms"][stage]) == {"p50", "p99"}, stage
    assert data["throughput_fps"] > 0 and data["fast"]["frames"] > 0
    assert 0 < data["cpu_percent_at_60hz"] < 400
    assert data["at_60hz"]["frames"] > 0
    captured = capsys.readouterr()
    assert "end_to_end_ms" not in captured.out  # with --json the report goes to the file only (issue 10)
    assert "end-to-end p50" in captured.err  # the one-line summary stays


def test_bench_without_json_prints_the_report(monkeypatch, capsys):
    monkeypatch.setattr(assemble_module, "load_models", lambda config: LabelModels())
    assert main(["bench", "--seconds", "1", "--pool", "3"]) == 0
    assert set(json.loads(capsys.readouterr().out)["end_to_end_ms"]) == {"p50", "p99"}


def test_bench_without_models_fails_with_advice(tmp_path, capsys):
    assert main(["bench", "--seconds", "1", "--models", str(tmp_path)]) == 2
    assert "no model files" in capsys.readouterr().err
