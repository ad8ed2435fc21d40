"""The Unity package's layout: what Unity needs to install it from a git URL, and the rules the code must keep.

(The C# itself is compiled and tested by tests/csharp/run.sh; this checks the files around it.)
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "unity_package"


def _package_tool():
    spec = importlib.util.spec_from_file_location("facebridge_package_tool", ROOT / "tests/csharp/package_tool.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_package_json_has_what_the_package_manager_needs():
    manifest = json.loads((PKG / "package.json").read_text())
    assert manifest["name"] == "com.facebridge.unity"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    major, minor = (int(x) for x in manifest["unity"].split(".")[:2])
    assert (major, minor) >= (2021, 3)
    for key in ("displayName", "description", "author", "license", "keywords"):
        assert manifest[key], key
    for sample in manifest["samples"]:
        assert (PKG / sample["path"]).is_dir(), sample["path"]
    for name in ("README.md", "CHANGELOG.md", "LICENSE.md", "Documentation~/index.md"):
        assert (PKG / name).is_file(), name


def test_every_asset_has_a_meta_with_a_unique_stable_guid(capsys):
    tool = _package_tool()
    assert tool.check() == 0, capsys.readouterr().err
    meta = (PKG / "Runtime/Unity/FaceBridgeReceiver.cs.meta").read_text()
    assert f"guid: {tool.guid_for('Runtime/Unity/FaceBridgeReceiver.cs')}" in meta  # derived, so it never changes


def test_sample_scene_references_real_scripts_by_guid():
    tool = _package_tool()
    scene = (PKG / "Samples~/BasicSetup/BasicSetup.unity").read_text()
    assert scene == tool.scene_text(), "run python3 tests/csharp/package_tool.py scene"
    for guid in re.findall(r"guid: ([0-9a-f]{32}), type: 3", scene):
        metas = [p for p in PKG.rglob("*.cs.meta") if f"guid: {guid}" in p.read_text()]
        assert len(metas) == 1, f"scene references unknown script guid {guid}"


ASMDEFS = {
    "Runtime/Core/FaceBridge.Core.asmdef": "FaceBridge.Core",
    "Runtime/Unity/FaceBridge.asmdef": "FaceBridge",
    "Editor/FaceBridge.Editor.asmdef": "FaceBridge.Editor",
    "Tests/Editor/FaceBridge.Tests.Editor.asmdef": "FaceBridge.Tests.Editor",
    "Tests/Runtime/FaceBridge.Tests.Runtime.asmdef": "FaceBridge.Tests.Runtime",
    "Runtime/Vrm10/FaceBridge.Vrm10.asmdef": "FaceBridge.Vrm10",
    "Runtime/Vrm0/FaceBridge.Vrm0.asmdef": "FaceBridge.Vrm0",
}
UNITY_ASSEMBLIES = {"UnityEngine.TestRunner", "UnityEditor.TestRunner"}
# Optional third-party assemblies: only referenced by asmdefs that compile solely when that package is installed.
OPTIONAL = {"VRM10": ("com.vrmc.vrm", "FACEBRIDGE_UNIVRM10"), "VRM": ("com.vrmc.univrm", "FACEBRIDGE_UNIVRM0")}


@pytest.mark.parametrize("rel, name", ASMDEFS.items())
def test_assembly_definitions(rel, name):
    asm = json.loads((PKG / rel).read_text())
    assert asm["name"] == name
    for ref in asm["references"]:
        if ref in OPTIONAL:
            package, define = OPTIONAL[ref]
            # Without UniVRM the assembly must not compile at all (no missing-reference errors in a real Editor).
            assert asm["defineConstraints"] == [define], rel
            assert {"name": package, "expression": asm["versionDefines"][0]["expression"], "define": define} \
                in asm["versionDefines"], rel
            continue
        assert ref in ASMDEFS.values() or ref in UNITY_ASSEMBLIES, f"{rel}: unknown reference {ref}"
    if rel.startswith("Tests/"):
        assert asm["defineConstraints"] == ["UNITY_INCLUDE_TESTS"] and asm["autoReferenced"] is False
        assert "nunit.framework.dll" in asm["precompiledReferences"]
    if rel.startswith("Editor/") or rel.startswith("Tests/Editor"):
        assert asm["includePlatforms"] == ["Editor"]


def test_core_assembly_stays_free_of_unityengine():
    assert json.loads((PKG / "Runtime/Core/FaceBridge.Core.asmdef").read_text())["noEngineReferences"] is True
    for cs in (PKG / "Runtime/Core").glob("*.cs"):
        assert not re.search(r"^\s*using\s+Unity", cs.read_text(), re.MULTILINE), cs.name


def test_no_csharp8_syntax_that_mcs_and_older_unity_reject():
    # Unity 2021.3 compiles C# 9, but the tests here compile with mcs (C# 7.2): keep one language level.
    forbidden = [(r"\bswitch\s*\{", "switch expression"), (r"\?\?=", "??= operator"),
                 (r"\bcase\s+\w+\s+\w+\s*:", "type pattern case"), (r"\[\^\d", "index from end"), (r"\.\.\]", "range")]
    for cs in PKG.rglob("*.cs"):
        text = cs.read_text()
        for pattern, what in forbidden:
            assert not re.search(pattern, text), f"{cs.relative_to(PKG)} uses a {what}"


def test_optional_vrm_sources_are_also_guarded_by_their_define():
    for folder, define in (("Runtime/Vrm10", "FACEBRIDGE_UNIVRM10"), ("Runtime/Vrm0", "FACEBRIDGE_UNIVRM0")):
        for cs in (PKG / folder).glob("*.cs"):
            text = cs.read_text()
            assert text.startswith(f"#if {define}\n") and text.rstrip().endswith("#endif"), cs.name


def test_package_tests_use_only_the_real_unity_api():
    # The stubs' internal plumbing is reachable only from tests/csharp/StubTests; package tests run in real Unity.
    for cs in (PKG / "Tests").rglob("*.cs"):
        text = cs.read_text()
        for stub_only in ("SetWeightCalls", "Debug.Messages", "GraphicsSettings.Current", "Application.BeforeRender",
                          "AnimationUtility.Written"):
            assert stub_only not in text, f"{cs.relative_to(PKG)} uses stub-only {stub_only}"


def test_release_is_consistent_and_the_install_docs_name_its_tag():
    tool = _package_tool()
    version, problems = tool.release_problems(require_clean=False)
    assert [p for p in problems if "already exists" not in p] == []  # a clone of a released commit has the tag
    tag = tool.tag_name(version)
    for doc in ("README.md", "Documentation~/index.md"):
        text = (PKG / doc).read_text()
        assert f"?path=unity_package#{tag}" in text, doc
        assert "#v0.1.0" not in text and "<git URL of the FaceBridge" not in text, doc
        assert "relative to" in text and "manifest.json" in text, doc
        assert "make dist" in text and "facebridge run" in text, doc
    manual = (PKG / "Documentation~/index.md").read_text()
    for needed in ("package_tool.py release --create", "Internet Access", "NSLocalNetworkUsageDescription", "HDRP",
                   "Vrm10Instance", "Fcl_", "light cue", "FaceBridge Monitor"):
        assert needed in manual, needed
